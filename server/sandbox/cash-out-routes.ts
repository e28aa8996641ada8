/**
 * The emulated cash-out endpoints (docs/connectpsp.md §3.4–§3.5), mounted under `/connectpsp` after the
 * token check. Creating one needs `DigitalSignature` and `X-Idempotency-Key`.
 */
import { Router } from 'express';

import type { Auth } from './auth.js';
import { cashOutView, type CashOuts } from './cash-out.js';
import type { IdempotencyKeys } from './idempotency.js';
import { SandboxProblem } from './problem.js';
import { cashOutRequestSchema, parseBody } from './validation.js';

export function cashOutRoutes(deps: { cashOuts: CashOuts; idempotency: IdempotencyKeys; auth: Auth }): Router {
  const { cashOuts, idempotency, auth } = deps;
  const router = Router();

  router.post('/cash-out', auth.requireSignature, function createCashOut(req, res) {
    // The docs contradict themselves (docs/connectpsp.md §7.3): the description says the key is required,
    // the parameter list says optional. The sandbox requires it: a client that sends it works with
    // either reading, and a cash-out retried without one could pay twice.
    if (!req.get('X-Idempotency-Key')) {
      throw new SandboxProblem('VALIDATION_ERROR', 'X-Idempotency-Key: is required on POST /cash-out');
    }
    return idempotency.run(req, res, () => {
      const request = parseBody(cashOutRequestSchema, req.body);
      return { status: 202, body: cashOutView(cashOuts.create(request)) };
    });
  });

  router.get('/cash-out/:id', function getCashOut(req, res) {
    res.json(cashOutView(cashOuts.get(req.params.id)));
  });

  return router;
}
