/**
 * The operator console at `/console` (on only when CONSOLE_PASSWORD is set):
 *
 * - `GET /console`: the page (console/index.html), `GET /console/assets/*`: its browser code, both
 *   built by `npm run build` into server/dist/console-assets. Served under the demo's strict CSP: nothing inline.
 * - `/console/api/*`: JSON for the page, behind a session cookie (console-session.ts); every call
 *   that changes something also needs the session's `X-CSRF-Token` and a same-origin request.
 *
 * What it shows never includes a secret or a whole CPF/CNPJ: checkouts and payouts go through the
 * merchant views (documents cut to their last four digits, CPF/CNPJ PIX keys masked), webhooks
 * are shown by type and verdict (never their raw body), alerts by their redacted log fields.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { EventBus } from '../bus/event-bus.js';
import type { BalanceService } from '../balance/balance-service.js';
import { cancelCheckout } from '../checkouts/cancel-checkout.js';
import type { CheckoutService } from '../checkouts/checkout-service.js';
import { toCheckoutView } from '../checkouts/views.js';
import { CHECKOUT_STATUSES, type CheckoutStatus } from 'connectpsp-checkout/contract';
import { HttpError } from '../http-error.js';
import { safeEqual } from '../ids.js';
import type { Logger } from '../logger.js';
import { decodeCursor, encodeCursor, toPayoutView } from '../payouts/payout.js';
import { createPayoutSchema, idempotencyKeySchema, rebalanceSchema } from '../payouts/payout-schemas.js';
import type { PayoutService } from '../payouts/payout-service.js';
import { DEMO_CSP } from '../demo/demo-router.js';
import { FixedWindowLimiter } from '../rate-limit.js';
import type { OutboxMessage, Store } from '../store/store.js';
import { checkoutIdSchema, parseBody, refundRequestSchema } from '../validation.js';
import { ConsoleSessions, readCookie, SESSION_COOKIE, SESSION_TTL_MS } from './console-session.js';

/**
 * The console's page: copied beside its built code (the package), else the repository's
 * console/index.html (running from source before a build). Its script and styles come from
 * /console/assets either way.
 */
function consolePage(assetsDir: string): string {
  const built = join(assetsDir, 'index.html');
  return existsSync(built) ? built : fileURLToPath(new URL('../../console/index.html', import.meta.url));
}

/** The demo's policy, one definition for both pages: own files only, nothing inline, no framing. */
export const CONSOLE_CSP = DEMO_CSP;

export interface ConsoleRouterOptions {
  password: string;
  store: Store;
  bus: EventBus;
  service: CheckoutService;
  payouts: PayoutService;
  balances: BalanceService;
  logger: Logger;
  assetsDir: string;
  /** Mark the cookie Secure (the console is served over HTTPS). */
  secureCookie: boolean;
  onMerchantEvent?: () => void;
  /** Sign-in attempts per client address per minute (default 5), and over all clients (default 30). */
  signInPerClientPerMinute?: number;
  signInPerMinute?: number;
  now?: () => Date;
}

export function consoleRouter(o: ConsoleRouterOptions): Router {
  const now = o.now ?? (() => new Date());
  const sessions = new ConsoleSessions(o.password, () => now().getTime());
  const perClient = new FixedWindowLimiter(o.signInPerClientPerMinute ?? 5);
  const overall = new FixedWindowLimiter(o.signInPerMinute ?? 30);
  const router = Router();

  router.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': CONSOLE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    });
    next();
  });
  router.get('/', (_req, res) => {
    res.set('Cache-Control', 'no-store').sendFile(consolePage(o.assetsDir));
  });
  router.use('/assets', express.static(o.assetsDir, { index: false, maxAge: 0 }));
  router.use('/assets', (_req, res) => {
    res
      .status(404)
      .type('text/plain')
      .send(existsSync(o.assetsDir) ? 'No such file.' : 'The console is not built yet: run `npm run build`.');
  });

  const api = Router();
  api.use(express.json({ limit: '16kb', strict: true, inflate: false, type: () => true }));
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  const cookie = (value: string, maxAgeSeconds: number) =>
    `${SESSION_COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${o.secureCookie ? '; Secure' : ''}`;

  api.post('/session', (req, res) => {
    const wait = Math.max(perClient.hit(req.ip ?? 'unknown'), overall.hit('all'));
    if (wait > 0)
      throw new HttpError(429, 'Too many sign-in attempts. Wait a minute and try again.', { field: 'password', retryAfterSeconds: wait });
    const { password } = parseBody(z.strictObject({ password: z.string().min(1, 'is required').max(200) }), req.body);
    if (!sessions.checkPassword(password)) {
      o.logger.warn('console sign-in refused', { ip: req.ip });
      throw new HttpError(401, 'Wrong password.', { field: 'password' });
    }
    const issued = sessions.issue();
    res.set('Set-Cookie', cookie(issued.cookie, Math.floor(SESSION_TTL_MS / 1000)));
    o.logger.info('console sign-in', { ip: req.ip });
    res.json({ csrfToken: issued.csrfToken });
  });

  /** The session, or a 401; the CSRF token and a same-origin request for anything but a read. */
  const session: RequestHandler = (req, res, next) => {
    const found = sessions.verify(readCookie(req.get('cookie'), SESSION_COOKIE));
    if (!found) throw new HttpError(401, 'Sign in first.', { field: 'session' });
    res.locals.csrfToken = found.csrfToken;
    if (req.method !== 'GET') {
      const site = req.get('sec-fetch-site');
      if (site !== undefined && site !== 'same-origin')
        throw new HttpError(403, 'Cross-site request refused.', { field: 'Sec-Fetch-Site' });
      const token = req.get('x-csrf-token') ?? '';
      if (!safeEqual(token, found.csrfToken)) throw new HttpError(403, 'Missing or wrong X-CSRF-Token.', { field: 'X-CSRF-Token' });
    }
    next();
  };

  api.get('/session', session, (_req, res) => {
    res.json({ csrfToken: res.locals.csrfToken as string });
  });
  api.delete('/session', session, (_req, res) => {
    res.set('Set-Cookie', cookie('', 0));
    res.status(204).end();
  });

  // Checkouts: search, timeline, refund, cancel.
  const searchSchema = z.strictObject({
    q: z.string().trim().max(100).optional(),
    status: z.enum(CHECKOUT_STATUSES as [CheckoutStatus, ...CheckoutStatus[]]).optional(),
  });
  api.get('/checkouts', session, async (req, res) => {
    const { q, status } = parseBody(searchSchema, { ...req.query });
    const found = await o.store.searchCheckouts({ q, status, limit: 50 });
    res.json({ data: await Promise.all(found.map(async (c) => toCheckoutView(c, await o.store.listCharges(c.id)))) });
  });

  const checkoutOf = async (req: Request) => {
    const id = String(req.params.id);
    const checkout = checkoutIdSchema.safeParse(id).success ? await o.store.getCheckout(id) : undefined;
    if (!checkout) throw new HttpError(404, `No checkout with id "${id}".`, { field: 'id' });
    return checkout;
  };

  api.get('/checkouts/:id', session, async (req, res) => {
    const checkout = await checkoutOf(req);
    const charges = await o.store.listCharges(checkout.id);
    const [events, webhooks, messages] = await Promise.all([
      o.store.eventsAfter(checkout.id, 0),
      o.store.webhooksFor(charges.map((c) => c.transactionId)),
      o.store.merchantEventsMentioning(checkout.id, 200),
    ]);
    res.json({
      checkout: toCheckoutView(checkout, charges),
      statusEvents: events.map((e) => ({ id: e.id, status: e.data.status, previous: e.data.previous, at: e.data.at })),
      webhooks: webhooks.map((w) => ({ ...w, verdict: w.processedAt ? 'applied' : w.attempts > 0 ? 'retrying' : 'pending' })),
      deliveries: await deliveriesOf(messages),
    });
  });

  api.post('/checkouts/:id/refund', session, async (req, res) => {
    const checkout = await checkoutOf(req);
    const input = parseBody(refundRequestSchema, req.body);
    const outcome = await o.service.refund(checkout.id, input);
    o.logger.info('console refund', { checkoutId: checkout.id, outcome });
    res.status(outcome === 'settled' ? 200 : 202).json({ outcome });
  });

  api.post('/checkouts/:id/cancel', session, async (req, res) => {
    const checkout = await checkoutOf(req);
    parseBody(z.strictObject({}), req.body);
    const cancelled = await cancelCheckout(
      { store: o.store, bus: o.bus, now, ...(o.onMerchantEvent ? { onMerchantEvent: o.onMerchantEvent } : {}) },
      checkout.id,
    );
    o.logger.info('console cancel', { checkoutId: checkout.id });
    res.json(toCheckoutView(cancelled, await o.store.listCharges(checkout.id)));
  });

  // Alerts.
  api.get('/alerts', session, async (req, res) => {
    const { all } = parseBody(z.strictObject({ all: z.enum(['0', '1']).optional() }), { ...req.query });
    res.json({ data: await o.store.listAlerts({ includeResolved: all === '1', limit: 200 }) });
  });
  api.post('/alerts/:id/resolve', session, async (req, res) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw new HttpError(404, 'No such alert.', { field: 'id' });
    if (!(await o.store.resolveAlert(id, now().toISOString()))) throw new HttpError(404, 'No open alert with this id.', { field: 'id' });
    res.json({ resolved: true });
  });

  // The merchant outbox.
  async function deliveriesOf(messages: OutboxMessage[]) {
    const attempts = await o.store.deliveryAttempts(messages.map((m) => m.id));
    return messages.map((m) => ({
      id: m.id,
      type: m.type,
      createdAt: m.createdAt,
      deliveredAt: m.deliveredAt,
      nextAttemptAt: m.nextAttemptAt,
      lastError: m.lastError,
      subject: subjectOf(m),
      attempts: attempts.filter((a) => a.messageId === m.id).map(({ at, delivered, answer }) => ({ at, delivered, answer })),
    }));
  }
  api.get('/outbox', session, async (_req, res) => {
    const [backlog, messages] = await Promise.all([o.store.merchantEventBacklog(), o.store.undeliveredMerchantEvents(200)]);
    res.json({ backlog: Number(backlog), data: await deliveriesOf(messages) });
  });
  api.post('/outbox/:id/redeliver', session, async (req, res) => {
    const id = String(req.params.id);
    if (!/^msg_[0-9A-Za-z]{24}$/.test(id) || !(await o.store.redeliverMerchantEventNow(id, now().toISOString()))) {
      throw new HttpError(404, 'No undelivered notification with this id.', { field: 'id' });
    }
    o.onMerchantEvent?.();
    res.json({ redelivering: true });
  });

  // Payouts.
  api.get('/payouts', session, async (req, res) => {
    const { cursor } = parseBody(z.strictObject({ cursor: z.string().max(64).optional() }), { ...req.query });
    const beforeSeq = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && beforeSeq === undefined)
      throw new HttpError(400, 'cursor is not one this API gave out', { field: 'cursor' });
    const rows = await o.payouts.list({ limit: 51, beforeSeq });
    const page = rows.slice(0, 50);
    res.json({ data: page.map(toPayoutView), nextCursor: rows.length > 50 ? encodeCursor(page.at(-1)!.seq!) : null });
  });
  api.post('/payouts', session, async (req, res) => {
    // The page makes the key when the form opens, so a double click or a retry after a timeout is the same payout.
    const key = req.get('idempotency-key');
    if (key === undefined || !idempotencyKeySchema.safeParse(key).success)
      throw new HttpError(400, 'Idempotency-Key is required.', { field: 'Idempotency-Key' });
    const input = parseBody(createPayoutSchema, req.body);
    const view = await o.payouts.create(input, `console:${key}`);
    o.logger.info('console payout', { payoutId: view.id, amount: view.amount });
    res.status(202).json(view);
  });

  // Balances.
  api.get('/balance', session, async (_req, res) => {
    res.json(await o.balances.balance());
  });
  api.post('/balance/rebalance', session, async (req, res) => {
    const { targetAmount } = parseBody(rebalanceSchema, req.body);
    const outcome = await o.balances.rebalance(targetAmount);
    o.logger.info('console rebalance', { targetAmount });
    res.json(outcome);
  });

  router.use('/api', api);
  router.use('/api', (req: Request, _res: Response, next: NextFunction) =>
    next(new HttpError(404, `No console route for ${req.method} ${req.path}.`)),
  );
  return router;
}

/** The checkout or payout a notification is about, for the outbox list. */
function subjectOf(m: OutboxMessage): string | null {
  const data = (m.data as { data?: { checkout?: { id?: string }; payout?: { id?: string } } }).data;
  return data?.checkout?.id ?? data?.payout?.id ?? null;
}
