import { Router, type Request, type Response } from 'express';
import type { CheckoutService } from '../checkouts/checkout-service.js';
import { toActiveChargeView, toSession } from '../checkouts/views.js';
import type { CheckoutRecord, Store } from '../store/store.js';
import { HttpError } from '../http-error.js';
import { chargeRequestSchema, openFinanceRequestSchema, parseBody } from '../validation.js';
import { ROUTE_TABLE } from './route-table.js';

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
export function browserRoutes(deps: {
  service: CheckoutService;
  store: Store;
  merchantName: string;
  allowedOrigins: '*' | readonly string[];
  now: () => Date;
  /** Checks the client secret, then counts the request against the checkout's limit. */
  authorize?: (req: Request, res: Response) => Promise<CheckoutRecord>;
}): Router {
  const router = Router();
  const authorize = deps.authorize ?? ((req: Request) => deps.service.authorizeClient(String(req.params.id), clientSecretOf(req)));

  router.get(ROUTE_TABLE.session.path, async (req, res) => {
    let checkout = await authorize(req, res);
    if (req.query.refresh === 'true') {
      // The payer is back from the bank: ask ConnectPSP now rather than wait for a webhook.
      checkout = await deps.service.refreshFromGateway(checkout);
    }
    res.set('Cache-Control', 'no-store');
    res.json(toSession(checkout, await deps.store.listCharges(checkout.id), deps.merchantName, deps.now()));
  });

  router.post(ROUTE_TABLE.pix.path, async (req, res) => {
    const checkout = await authorize(req, res);
    const { payer } = parseBody(chargeRequestSchema, req.body);
    const charge = await deps.service.ensurePixCharge(checkout, payer);
    res.set('Cache-Control', 'no-store');
    res.json(toActiveChargeView(charge));
  });

  router.post(ROUTE_TABLE.openFinance.path, async (req, res) => {
    const checkout = await authorize(req, res);
    const { payer, returnUrl } = parseBody(openFinanceRequestSchema, req.body);
    const target = returnUrl ?? checkout.returnUrl;
    if (!target) throw new HttpError(400, 'returnUrl is required: the page the payer comes back to from the bank.', { field: 'returnUrl' });
    if (!returnUrlAllowed(target, checkout.returnUrl, deps.allowedOrigins)) {
      // Otherwise anyone holding a client secret could make the bank send the payer to any site.
      throw new HttpError(400, "returnUrl must be on the checkout's returnUrl origin or an allowed origin.", { field: 'returnUrl' });
    }
    const charge = await deps.service.ensureOpenFinanceCharge(checkout, target, payer);
    res.set('Cache-Control', 'no-store');
    res.json(toActiveChargeView(charge));
  });

  return router;
}

/** A return URL is acceptable on the merchant's declared returnUrl origin or an ALLOWED_ORIGINS origin. */
export function returnUrlAllowed(url: string, checkoutReturnUrl: string | null, allowedOrigins: '*' | readonly string[]): boolean {
  let origin: string;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return false;
    origin = u.origin;
  } catch {
    return false;
  }
  if (checkoutReturnUrl && new URL(checkoutReturnUrl).origin === origin) return true;
  return allowedOrigins === '*' || allowedOrigins.includes(origin);
}
