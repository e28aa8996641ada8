/**
 * The emulated cash-in endpoints (docs/connectpsp.md §3.1–§3.3), mounted under `/connectpsp` after the
 * token check. Refund also needs `DigitalSignature`, as its own page says (§2.4).
 */
import { Router } from 'express';

import type { Auth } from './auth.js';
import { cashInView, type CashIns } from './cash-in.js';
import type { IdempotencyKeys } from './idempotency.js';
import { cashInRequestSchema, parseBody, refundRequestSchema } from './validation.js';

export function cashInRoutes(deps: { cashIns: CashIns; idempotency: IdempotencyKeys; auth: Auth }): Router {
  const { cashIns, idempotency, auth } = deps;
  const router = Router();

  router.post('/cash-in', function createCashIn(req, res) {
    return idempotency.run(req, res, async () => {
      const request = parseBody(cashInRequestSchema, req.body);
      return { status: 201, body: await cashIns.create(request) };
    });
  });

  router.get('/cash-in/:id', function getCashIn(req, res) {
    // `readView`: with the `reads.lagMs` fault, what the read side still says shortly after a change.
    res.json(cashIns.readView(req.params.id));
  });

  router.post('/cash-in/:id/refund', auth.requireSignature, function refundCashIn(req, res) {
    const id = String(req.params.id);
    return idempotency.run(req, res, () => {
      const request = parseBody(refundRequestSchema, req.body);
      return { status: 202, body: cashInView(cashIns.refund(id, request)) };
    });
  });

  return router;
}
