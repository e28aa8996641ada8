/**
 * The ConnectPSP v2 sandbox: a faithful emulator of the gateway (docs/connectpsp.md), so the real client
 * code runs against it unchanged, plus control routes that make payments happen and inject faults.
 *
 * ```ts
 * const sandbox = createSandbox({ credentials: SANDBOX_CREDENTIALS, publicUrl: 'http://localhost:3000/sandbox' });
 * app.use('/sandbox', sandbox.router);
 * // client baseUrl: http://localhost:3000/sandbox/connectpsp
 * ```
 *
 * What is emulated is listed per module: auth.ts, cash-in.ts, cash-out.ts, accounts.ts,
 * idempotency.ts, webhook-dispatcher.ts; the control routes are in control-routes.ts.
 */
import express, { Router } from 'express';

import { accountRoutes } from './account-routes.js';
import { createAuth, type SandboxCredentials } from './auth.js';
import { CashIns } from './cash-in.js';
import { cashInRoutes } from './cash-in-routes.js';
import { CashOuts } from './cash-out.js';
import { cashOutRoutes } from './cash-out-routes.js';
import { controlRoutes } from './control-routes.js';
import { DEFAULT_MERCHANT_CITY, DEFAULT_MERCHANT_NAME, DEFAULTS } from './defaults.js';
import { Faults } from './faults.js';
import { IdempotencyKeys } from './idempotency.js';
import { OpenFinanceJourney } from './open-finance-journey.js';
import { openFinanceRoutes } from './open-finance-routes.js';
import { notFoundHandler, problemErrorHandler } from './problem.js';
import { SandboxStore } from './state.js';
import { requireJsonContentType } from './validation.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

export type { SandboxCredentials } from './auth.js';

export interface SandboxOptions {
  /** The only credentials the emulated API accepts. */
  credentials: SandboxCredentials;
  /**
   * Absolute URL where `router` is mounted, e.g. `http://localhost:3000/sandbox`. Used for
   * `paymentUrl` and the BR Code location, so it must be what payers and clients can reach.
   */
  publicUrl: string;
  /** Where webhooks go when a cash-in or cash-out has no `webhookUrl`. Without it, none are sent. */
  defaultWebhookUrl?: string;
  /** In the BR Code; default `CONNECTPSP SANDBOX`. Accents are stripped; at most 25 characters. */
  merchantName?: string;
  /** In the BR Code; default `SAO PAULO`. At most 15 characters. */
  merchantCity?: string;
  /** Persist state here (atomically, after every change) and load it at start. */
  stateFile?: string;
  /** Clock for every timestamp, expiry and token lifetime; default `Date.now`. */
  now?: () => number;
  /** Webhook retries: defaults 1000 ms base, 60000 ms cap, 15 attempts, 5000 ms answer timeout. */
  webhookRetry?: { baseDelayMs?: number; maxDelayMs?: number; maxAttempts?: number; timeoutMs?: number };
  /** Used for webhook delivery; default the global `fetch`. */
  fetch?: typeof fetch;
  /** How long a cash-out stays PROCESSING before it settles; default 2000 ms. */
  cashOutSettleDelayMs?: number;
  /**
   * Told (with the transaction id) when a control route changes a cash-in in a way ConnectPSP sends
   * no webhook for: today the expire control. The real gateway documents no expiry event, so the
   * sandbox sends none either (cash-in.ts `expireIfDue`); a client would otherwise learn of it only
   * when its own clock reaches the old expiry. The companion server that embeds the sandbox uses this
   * to ask about that charge at once, which is what "expire now" means to the person pressing it.
   */
  onUnannouncedChange?: (transactionId: string) => Promise<void> | void;
}

export interface Sandbox {
  /** Mount at `/sandbox` (or wherever `publicUrl` points). */
  router: Router;
  /** Stops the expiry sweep, pending settlements and webhook retries; aborts in-flight deliveries. */
  close(): Promise<void>;
}

/**
 * Builds a sandbox. Routes under the returned router:
 * - `/connectpsp/*`: the emulated API — `POST auth/token`, `POST cash-in`, `GET cash-in/:id`,
 *   `POST cash-in/:id/refund`, `POST cash-out`, `GET cash-out/:id`, `GET account/balance`,
 *   `POST account/rebalance`;
 * - the control routes of control-routes.ts (`POST cash-in/:id/pay`, `POST pix/pay`, faults, …);
 * - `/open-finance/*`: the sandbox bank journey behind an Open Finance `paymentUrl`
 *   (open-finance-routes.ts), with its `POST open-finance/:id/timeout` control.
 *
 * Throws at once when `publicUrl` is not an absolute http(s) URL or is too long to fit in a BR Code
 * location, or when `stateFile` exists but is not a sandbox state file.
 */
export function createSandbox(options: SandboxOptions): Sandbox {
  const now = options.now ?? Date.now;
  const publicUrl = normalisePublicUrl(options.publicUrl);
  const defaultWebhookUrl = options.defaultWebhookUrl ?? null;

  const store = new SandboxStore(options.stateFile);
  const faults = new Faults();
  const webhooks = new WebhookDispatcher({
    cryptoToken: options.credentials.cryptoToken,
    fetch: options.fetch ?? fetch,
    now,
    faults,
    retry: {
      baseDelayMs: options.webhookRetry?.baseDelayMs ?? DEFAULTS.webhookBaseDelayMs,
      maxDelayMs: options.webhookRetry?.maxDelayMs ?? DEFAULTS.webhookMaxDelayMs,
      maxAttempts: options.webhookRetry?.maxAttempts ?? DEFAULTS.webhookMaxAttempts,
      timeoutMs: options.webhookRetry?.timeoutMs ?? DEFAULTS.webhookTimeoutMs,
    },
    logSize: DEFAULTS.webhookLogSize,
  });
  const cashIns = new CashIns({
    store,
    webhooks,
    now,
    publicUrl,
    merchantName: options.merchantName ?? DEFAULT_MERCHANT_NAME,
    merchantCity: options.merchantCity ?? DEFAULT_MERCHANT_CITY,
    defaultWebhookUrl,
    faults,
  });
  const cashOuts = new CashOuts({
    store,
    webhooks,
    now,
    defaultWebhookUrl,
    settleDelayMs: options.cashOutSettleDelayMs ?? DEFAULTS.cashOutSettleDelayMs,
  });
  const auth = createAuth(options.credentials, now, faults);
  const idempotency = new IdempotencyKeys(store, now, faults);

  // Cash-outs a restart interrupted settle as planned; pending webhook retries are not kept across a
  // restart (the receiver can always GET the transaction, which the docs recommend anyway).
  cashOuts.resume();
  cashIns.resume();
  const expirySweep = setInterval(() => cashIns.expireDue(), DEFAULTS.expirySweepMs);
  expirySweep.unref();

  const json = [requireJsonContentType, express.json({ limit: '100kb' })];
  const api = Router();
  // Faults first: an injected outage answers before auth, like a proxy in front of the gateway.
  api.use(faults.middleware);
  api.post('/auth/token', ...json, auth.issueToken);
  // Auth before parsing, so an unauthenticated caller is told 401 whatever its body looks like.
  api.use(auth.requireToken, ...json);
  api.use(cashInRoutes({ cashIns, idempotency, auth }));
  api.use(cashOutRoutes({ cashOuts, idempotency, auth }));
  api.use(accountRoutes({ store, now, idempotency, auth }));
  api.use(notFoundHandler);
  api.use(problemErrorHandler);

  const router = Router();
  router.use('/connectpsp', api);
  // The bank journey behind an Open Finance paymentUrl: HTML pages and form posts, so it goes
  // before the JSON-only parsing of the control routes.
  router.use(
    '/open-finance',
    openFinanceRoutes({
      journey: new OpenFinanceJourney({ cashIns, store, now }),
      merchantName: options.merchantName ?? DEFAULT_MERCHANT_NAME,
      publicUrl,
      now,
    }),
  );
  router.use(...json, controlRoutes({ cashIns, cashOuts, faults, webhooks, onUnannouncedChange: options.onUnannouncedChange }));
  // No catch-all 404 here: other routers may be mounted under the same prefix after this one
  // (the host app's 404 answers for paths nobody serves).
  router.use(problemErrorHandler);

  return {
    router,
    async close() {
      clearInterval(expirySweep);
      cashOuts.close();
      cashIns.close();
      await webhooks.close();
    },
  };
}

function normalisePublicUrl(publicUrl: string): string {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new TypeError(`publicUrl must be an absolute URL, got "${publicUrl}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`publicUrl must be http(s), got "${publicUrl}"`);
  if (url.search || url.hash) throw new TypeError(`publicUrl must have no query or fragment, got "${publicUrl}"`);
  return publicUrl.replace(/\/+$/, '');
}
