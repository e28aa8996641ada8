import { Router, type RequestHandler } from 'express';
import { HttpError } from '../http-error.js';
import { cancelCheckout, type CancelDeps } from '../checkouts/cancel-checkout.js';
import { toCheckoutView } from '../checkouts/views.js';
import { checkoutIdSchema, parseBody } from '../validation.js';
import { z } from 'zod';

/** `POST /v1/checkouts/:id/cancel` (merchant): cancels a checkout not yet paid. No body. */
export function cancelRoute(deps: CancelDeps & { auth: RequestHandler }): Router {
  const router = Router();
  router.post('/v1/checkouts/:id/cancel', deps.auth, async (req, res) => {
    const id = String(req.params.id);
    parseBody(z.strictObject({}), req.body);
    if (!checkoutIdSchema.safeParse(id).success) throw new HttpError(404, `No checkout with id "${id}".`, { field: 'id' });
    const checkout = await cancelCheckout(deps, id);
    res.json(toCheckoutView(checkout, await deps.store.listCharges(checkout.id)));
  });
  return router;
}
