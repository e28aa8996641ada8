import { Router, type Request } from 'express';
import type { CheckoutService } from '../checkouts/checkout-service.js';
import { toActiveChargeView, toSession } from '../checkouts/views.js';
import type { Store } from '../store/store.js';
import { chargeRequestSchema, parseBody } from '../validation.js';

/**
 * The client secret from `Authorization: Bearer …`, or from `?client_secret=` where a header cannot
 * be set (EventSource). Never logged: the request logger prints paths without query strings.
 */
export function clientSecretOf(req: Request): string | undefined {
  const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
  if (match) return match[1];
  const q = req.query.client_secret;
  return typeof q === 'string' ? q : undefined;
}

/** Routes the payer's browser calls, authorised by the checkout's client secret. */
export function browserRoutes(deps: { service: CheckoutService; store: Store; merchantName: string; now: () => Date }): Router {
  const router = Router();

  router.get('/v1/checkouts/:id/session', async (req, res) => {
    const checkout = await deps.service.authorizeClient(req.params.id, clientSecretOf(req));
    res.set('Cache-Control', 'no-store');
    res.json(toSession(checkout, await deps.store.listCharges(checkout.id), deps.merchantName, deps.now()));
  });

  router.post('/v1/checkouts/:id/pix', async (req, res) => {
    const checkout = await deps.service.authorizeClient(req.params.id, clientSecretOf(req));
    const { payer } = parseBody(chargeRequestSchema, req.body);
    const charge = await deps.service.ensurePixCharge(checkout, payer);
    res.set('Cache-Control', 'no-store');
    res.json(toActiveChargeView(charge));
  });

  return router;
}
