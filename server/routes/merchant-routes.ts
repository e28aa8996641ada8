import { Router, type RequestHandler } from 'express';
import { HttpError } from '../http-error.js';
import { safeEqual } from '../ids.js';
import type { CheckoutService } from '../checkouts/checkout-service.js';
import type { Store } from '../store/store.js';
import { toCheckoutView } from '../checkouts/views.js';
import type { CreatedCheckout } from 'connectpsp-checkout/contract';
import { checkoutIdSchema, createCheckoutSchema, parseBody, refundRequestSchema } from '../validation.js';
import { ROUTE_TABLE } from './route-table.js';

/** `Authorization: Bearer <CHECKOUT_API_KEY>`, compared in constant time. */
export function requireApiKey(apiKey: string): RequestHandler {
  return (req, _res, next) => {
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    if (!match || !safeEqual(match[1]!, apiKey)) {
      throw new HttpError(401, 'Send the merchant API key as "Authorization: Bearer <CHECKOUT_API_KEY>".', { field: 'Authorization' });
    }
    next();
  };
}

/** Merchant (server-to-server) routes: create a checkout, read it back. Never called from a browser. */
export function merchantRoutes(deps: { service: CheckoutService; store: Store; apiKey: string }): Router {
  const router = Router();
  const auth = requireApiKey(deps.apiKey);

  router.post(ROUTE_TABLE.createCheckout.path, auth, async (req, res) => {
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !/^[\w.:-]{1,255}$/.test(idempotencyKey)) {
      throw new HttpError(400, 'Idempotency-Key must be 1–255 characters of letters, digits, . _ : -', { field: 'Idempotency-Key' });
    }
    const input = parseBody(createCheckoutSchema, req.body);
    const { status, body } = await deps.service.createCheckout(input, idempotencyKey);
    res.status(status).json(input.createCharge ? await withPixCharge(deps, body as CreatedCheckout) : body);
  });

  router.get(ROUTE_TABLE.getCheckout.path, auth, async (req, res) => {
    const id = String(req.params.id);
    const checkout = checkoutIdSchema.safeParse(id).success ? await deps.store.getCheckout(id) : undefined;
    if (!checkout) throw new HttpError(404, `No checkout with id "${id}".`, { field: 'id' });
    res.json(toCheckoutView(checkout, await deps.store.listCharges(checkout.id)));
  });

  router.post(ROUTE_TABLE.refund.path, auth, async (req, res) => {
    const id = String(req.params.id);
    const input = parseBody(refundRequestSchema, req.body);
    const checkout = checkoutIdSchema.safeParse(id).success ? await deps.store.getCheckout(id) : undefined;
    if (!checkout) throw new HttpError(404, `No checkout with id "${id}".`, { field: 'id' });
    const outcome = await deps.service.refund(checkout.id, input);
    const refreshed = (await deps.store.getCheckout(checkout.id))!;
    // 202 while the devolution is underway: the checkout becomes refunded (and checkout.refunded
    // is sent) when it settles, or checkout.refund_failed is sent if it does not.
    res.status(outcome === 'settled' ? 200 : 202).json(toCheckoutView(refreshed, await deps.store.listCharges(checkout.id)));
  });

  return router;
}

/**
 * The created checkout with its PIX charge made (`createCharge: "pix"`), so the payer's first call
 * (the session) already carries the code. Creating the charge is idempotent, so a replayed create
 * gets the same charge. If ConnectPSP fails now the checkout still exists and is answered as it is
 * (`open`, no charge): the widget then asks for the charge itself, one
 * round trip later, rather than the merchant losing the checkout to a gateway blip.
 */
async function withPixCharge(deps: { service: CheckoutService; store: Store }, created: CreatedCheckout): Promise<CreatedCheckout> {
  const checkout = await deps.store.getCheckout(created.id);
  if (!checkout) return created;
  try {
    await deps.service.ensurePixCharge(checkout);
  } catch {
    // A gateway failure (logged by the service), or a replay after the checkout was paid (409):
    // either way the answer is the checkout as it is now.
  }
  const current = (await deps.store.getCheckout(created.id)) ?? checkout;
  return { ...toCheckoutView(current, await deps.store.listCharges(created.id)), clientSecret: created.clientSecret };
}
