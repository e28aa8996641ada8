/**
 * Sandbox control routes: what a person or a test does to make the world move — pay a charge,
 * expire it, settle or fail a cash-out, inject faults, inspect and release webhooks. They sit next
 * to `/connectpsp`, not under it, and need no credentials: the sandbox is for development only.
 *
 * | route | does |
 * |---|---|
 * | `GET /` | this list, as JSON |
 * | `POST /cash-in/:id/pay` | the payer pays (`{ payerName?, payerDocument?, bankIspb?, allowExpired? }`) → 200 cash-in |
 * | `POST /pix/pay` | pays the cash-in a pasted Copia e Cola points at (`{ copyAndPaste, …same options }`) |
 * | `POST /cash-in/:id/expire` | expires an unpaid cash-in now (no webhook: see `onUnannouncedChange`) |
 * | `POST /cash-out/:id/complete` | settles a PROCESSING cash-out now |
 * | `POST /cash-out/:id/fail` | fails it now (`{ code?, message? }`, default PIX_KEY_NOT_FOUND) |
 * | `POST /cash-out/:id/refund` | the payee's bank returns a COMPLETED cash-out: REFUNDED + CASHOUT_REFUNDED |
 * | `POST /cash-out/:id/cancel` | cancels a PROCESSING cash-out: CANCELLED + CASHOUT_CANCELLED (sandbox's own event) |
 * | `GET /faults`, `POST /faults`, `DELETE /faults` | read, set, clear injected faults |
 * | `GET /webhooks` | delivery attempts, oldest first (last 1000) |
 * | `POST /webhooks/release` | delivers held webhooks (`{ order?: 'fifo' \| 'reverse' }`) |
 * | `GET /open-finance/:id`, `POST /open-finance/:id/timeout` | the Open Finance bank journey (open-finance-routes.ts) |
 */
import { Router } from 'express';
import { z } from 'zod';

import { parseBrCode } from '../pix/brcode.js';

import { cashInView, type CashIns } from './cash-in.js';
import { cashOutView, PIX_KEY_NOT_FOUND, type CashOuts } from './cash-out.js';
import { faultsRequestSchema, type Faults } from './faults.js';
import { SandboxProblem } from './problem.js';
import { must, parseBody, payRequestSchema } from './validation.js';
import type { WebhookDispatcher } from './webhook-dispatcher.js';

const pixPayRequestSchema = payRequestSchema.extend({
  copyAndPaste: z.string(must('must be a string')),
});

const failCashOutSchema = z.object({
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'must be an UPPER_SNAKE_CASE code')
    .optional(),
  message: z.string().min(1).max(500).optional(),
});

const releaseRequestSchema = z.object({
  order: z.enum(['fifo', 'reverse'], must('must be fifo or reverse')).optional(),
});

export function controlRoutes(deps: {
  cashIns: CashIns;
  cashOuts: CashOuts;
  faults: Faults;
  webhooks: WebhookDispatcher;
  onUnannouncedChange?: ((transactionId: string) => Promise<void> | void) | undefined;
}): Router {
  const { cashIns, cashOuts, faults, webhooks } = deps;
  const router = Router();

  router.get('/', function describeSandbox(_req, res) {
    res.json({
      name: 'ConnectPSP v2 sandbox',
      api: 'connectpsp/',
      control: [
        'POST cash-in/:id/pay',
        'POST pix/pay',
        'POST cash-in/:id/expire',
        'POST cash-out/:id/complete',
        'POST cash-out/:id/fail',
        'POST cash-out/:id/refund',
        'POST cash-out/:id/cancel',
        'GET|POST|DELETE faults',
        'GET webhooks',
        'POST webhooks/release',
        'GET open-finance/:id (the bank journey: picker → consent → approve/reject)',
        'POST open-finance/:id/timeout',
      ],
    });
  });

  router.post('/cash-in/:id/pay', function payCashIn(req, res) {
    res.json(cashInView(cashIns.pay(req.params.id, parseBody(payRequestSchema, req.body))));
  });

  // "A person pastes the Copia e Cola in the sandbox bank app": the code is checked the way a bank
  // app would, then the charge behind its location is paid.
  router.post('/pix/pay', function payCopyAndPaste(req, res) {
    const { copyAndPaste, ...options } = parseBody(pixPayRequestSchema, req.body);
    const parsed = parseBrCode(copyAndPaste.trim());
    if (!parsed.ok) throw new SandboxProblem('VALIDATION_ERROR', `copyAndPaste: ${parsed.reason}`);
    if (!parsed.value.locationUrl) {
      throw new SandboxProblem(
        'VALIDATION_ERROR',
        'copyAndPaste: a static code (Pix key) cannot be paid in the sandbox; use a cash-in code',
      );
    }
    const record = cashIns.getByLocation(parsed.value.locationUrl);
    res.json(cashInView(cashIns.pay(record.transactionId, options)));
  });

  // ConnectPSP documents no webhook for expiry, so none is sent (cash-in.ts `expireIfDue`). Instead
  // the host that embeds the sandbox is told directly, so that its companion server asks about this
  // charge now rather than when its own clock reaches the old expiry (minutes or hours later).
  // The answer waits for the host, so that once it is in, the checkout already says `expired`.
  router.post('/cash-in/:id/expire', async function expireCashIn(req, res) {
    const record = cashIns.expireNow(req.params.id);
    await deps.onUnannouncedChange?.(record.transactionId);
    res.json(cashInView(record));
  });

  router.post('/cash-out/:id/complete', function completeCashOut(req, res) {
    res.json(cashOutView(cashOuts.settle(req.params.id)));
  });

  router.post('/cash-out/:id/fail', function failCashOut(req, res) {
    const { code, message } = parseBody(failCashOutSchema, req.body);
    const failure = code
      ? { code, message: message ?? `Cash-out failed (${code}).` }
      : { ...PIX_KEY_NOT_FOUND, ...(message ? { message } : {}) };
    res.json(cashOutView(cashOuts.fail(req.params.id, failure)));
  });

  router.post('/cash-out/:id/refund', function returnCashOut(req, res) {
    res.json(cashOutView(cashOuts.returnToPayer(req.params.id)));
  });

  router.post('/cash-out/:id/cancel', function cancelCashOut(req, res) {
    res.json(cashOutView(cashOuts.cancel(req.params.id)));
  });

  router.get('/faults', function getFaults(_req, res) {
    res.json({ ...faults.describe(), heldWebhooks: webhooks.heldCount });
  });

  router.post('/faults', function setFaults(req, res) {
    faults.set(parseBody(faultsRequestSchema, req.body));
    res.json({ ...faults.describe(), heldWebhooks: webhooks.heldCount });
  });

  // Clearing faults also delivers whatever was held (oldest first): dropping webhooks silently
  // would look like a gateway that loses events, which is a different fault.
  router.delete('/faults', async function clearFaults(_req, res) {
    faults.reset();
    const released = await webhooks.release('fifo');
    res.json({ ...faults.describe(), heldWebhooks: webhooks.heldCount, released });
  });

  router.get('/webhooks', function listWebhookAttempts(_req, res) {
    res.json(webhooks.attempts());
  });

  router.post('/webhooks/release', async function releaseWebhooks(req, res) {
    const { order } = parseBody(releaseRequestSchema, req.body);
    res.json({ released: await webhooks.release(order) });
  });

  return router;
}
