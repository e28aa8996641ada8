/**
 * The emulated account endpoints (docs/connectpsp.md §3.6–§3.7), mounted under `/connectpsp` after the
 * token check. Rebalance needs `DigitalSignature`.
 */
import { Router } from 'express';

import { balanceView, rebalance } from './accounts.js';
import type { Auth } from './auth.js';
import type { IdempotencyKeys } from './idempotency.js';
import type { SandboxStore } from './state.js';
import { parseBody, rebalanceRequestSchema } from './validation.js';

export function accountRoutes(deps: { store: SandboxStore; now: () => number; idempotency: IdempotencyKeys; auth: Auth }): Router {
  const { store, now, idempotency, auth } = deps;
  const router = Router();

  // `?date=` (a historical snapshot) is "in development" per the docs; like the gateway today, the
  // sandbox answers with the current snapshot, and `referenceDate` says which day that is.
  router.get('/account/balance', function getBalance(_req, res) {
    res.json(balanceView(store.banks, now()));
  });

  // No idempotency header is documented for rebalance (docs/connectpsp.md §2.5), but the auth guide asks
  // for one on every mutation, so it is honoured when sent. The target is absolute anyway.
  router.post('/account/rebalance', auth.requireSignature, function rebalanceAccount(req, res) {
    return idempotency.run(req, res, () => {
      const { targetAmount } = parseBody(rebalanceRequestSchema, req.body);
      rebalance(store.banks, targetAmount);
      store.save();
      return { status: 200, body: { success: true, message: 'Rebalancing completed successfully.' } };
    });
  });

  return router;
}
