import { Router, type RequestHandler } from 'express';
import { HttpError } from '../http-error.js';
import { parseBody } from '../validation.js';
import { idempotencyKeySchema, rebalanceSchema } from '../payouts/payout-schemas.js';
import type { BalanceService } from './balance-service.js';

/** `GET /v1/balance`, `POST /v1/balance/rebalance` (merchant, with the API key). */
export function balanceRoutes(deps: { balances: BalanceService; auth: RequestHandler }): Router {
  const router = Router();

  router.get('/v1/balance', deps.auth, async (_req, res) => {
    res.json(await deps.balances.balance());
  });

  router.post('/v1/balance/rebalance', deps.auth, async (req, res) => {
    const key = req.get('idempotency-key');
    if (key !== undefined && !idempotencyKeySchema.safeParse(key).success) {
      throw new HttpError(400, 'Idempotency-Key must be 1–255 characters of letters, digits, . _ : -', { field: 'Idempotency-Key' });
    }
    const { targetAmount } = parseBody(rebalanceSchema, req.body);
    res.json(await deps.balances.rebalance(targetAmount, key));
  });

  return router;
}
