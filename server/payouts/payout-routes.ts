import { Router, type RequestHandler } from 'express';
import { HttpError } from '../http-error.js';
import { parseBody } from '../validation.js';
import { decodeCursor, encodeCursor, toPayoutView, type PayoutStatus } from './payout.js';
import { createPayoutSchema, idempotencyKeySchema, listPayoutsQuerySchema, payoutIdSchema } from './payout-schemas.js';
import type { PayoutService } from './payout-service.js';

/** `POST /v1/payouts`, `GET /v1/payouts/:id`, `GET /v1/payouts` (merchant, with the API key). */
export function payoutRoutes(deps: { payouts: PayoutService; auth: RequestHandler }): Router {
  const router = Router();

  router.post('/v1/payouts', deps.auth, async (req, res) => {
    // Required: money leaves the account, and only a key the merchant stored makes a retry safe.
    const key = req.get('idempotency-key');
    if (key === undefined)
      throw new HttpError(400, 'Idempotency-Key is required for payouts: a retry with the same key never sends twice.', {
        field: 'Idempotency-Key',
      });
    if (!idempotencyKeySchema.safeParse(key).success)
      throw new HttpError(400, 'Idempotency-Key must be 1–255 characters of letters, digits, . _ : -', { field: 'Idempotency-Key' });
    const input = parseBody(createPayoutSchema, req.body);
    // 202: accepted, not settled; payout.completed / payout.failed follow.
    res.status(202).json(await deps.payouts.create(input, key));
  });

  router.get('/v1/payouts/:id', deps.auth, async (req, res) => {
    const id = String(req.params.id);
    if (!payoutIdSchema.safeParse(id).success) throw new HttpError(404, `No payout with id "${id}".`, { field: 'id' });
    res.json(await deps.payouts.get(id));
  });

  router.get('/v1/payouts', deps.auth, async (req, res) => {
    const query = parseBody(listPayoutsQuerySchema, { ...req.query });
    const beforeSeq = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && beforeSeq === undefined)
      throw new HttpError(400, 'cursor is not one this API gave out', { field: 'cursor' });
    // One more than asked, to know whether there is a next page without a second query.
    const rows = await deps.payouts.list({ limit: query.limit + 1, beforeSeq, status: query.status as PayoutStatus | undefined });
    const page = rows.slice(0, query.limit);
    const more = rows.length > query.limit;
    res.json({ data: page.map(toPayoutView), hasMore: more, nextCursor: more ? encodeCursor(page.at(-1)!.seq!) : null });
  });

  return router;
}
