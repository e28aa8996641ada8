/**
 * Typed client of the ConnectPSP v2 API: the eight endpoints of docs/connectpsp.md §3, with the token
 * cache, `DigitalSignature`, idempotency keys, retries and typed errors around them.
 *
 * Amounts cross this boundary as integer centavos; the client sends reais and parses reais back.
 */
import type { z } from 'zod';
import { centavosToReais } from '../money.js';
import { ConnectPspApiError, ConnectPspConnectionError, type ConnectPspError, connectPspErrorFrom } from './errors.js';
import {
  accessTokenSchema,
  balanceSchema,
  cashInRefundSchema,
  cashInSchema,
  cashOutSchema,
  describeIssues,
  rebalanceResultSchema,
} from './schemas.js';
import { digitalSignature } from './signing.js';
import { ConnectPspTokenCache } from './token-cache.js';
import type {
  AccessToken,
  Balance,
  CashIn,
  CashInRefund,
  CashOut,
  CreateCashInInput,
  CreateCashOutInput,
  IdempotentCallOptions,
  RebalanceInput,
  RebalanceResult,
  RefundCashInInput,
} from './types.js';

/** The two real gateways (docs/connectpsp.md §1). Paths have no version prefix. */
export const CONNECTPSP_HOSTS = {
  staging: 'https://api.homologacao.connectpsp.com',
  production: 'https://api.connectpsp.com',
} as const;

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_RETRY_BASE_DELAY_MS = 300;
export const DEFAULT_RETRY_MAX_DELAY_MS = 8_000;

/** What `onCall` hears about each HTTP attempt. Holds no secrets and no bodies. */
export interface ConnectPspCallInfo {
  method: string;
  /** The route template (`/cash-in/{id}`), not the concrete path, so it is a safe metrics label. */
  path: string;
  /** HTTP status; 0 when no answer arrived. */
  status: number;
  /** The error code, when the attempt failed (`TOKEN_EXPIRED`, `TIMEOUT`, `INVALID_RESPONSE`, …). */
  code?: string;
  /** 1 for the first attempt of a call, 2 for its first retry, and so on. */
  attempt: number;
  durationMs: number;
}

export interface ConnectPspClientOptions {
  /** A {@link CONNECTPSP_HOSTS} value, or the sandbox; may carry a path prefix. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Fixed GUID identifying the integration, sent as `ApplicationToken`. */
  applicationToken: string;
  /** Key of `DigitalSignature` (and of webhook signatures, see `webhooks.ts`). */
  cryptoToken: string;
  /** Transport; default the global `fetch`. */
  fetch?: typeof fetch;
  /** Per attempt, covering headers and body. Default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Attempts per call against network errors, timeouts and 5xx. Default {@link DEFAULT_MAX_ATTEMPTS}. */
  maxAttempts?: number;
  /** Backoff before retry n is random() × min(max, base × 2^(n-1)). Default {@link DEFAULT_RETRY_BASE_DELAY_MS}. */
  retryBaseDelayMs?: number;
  /** Default {@link DEFAULT_RETRY_MAX_DELAY_MS}. */
  retryMaxDelayMs?: number;
  /** Waits between retries; tests pass a no-op. */
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); the jitter source. Default `Math.random`. */
  random?: () => number;
  /** Epoch milliseconds; drives token expiry and `durationMs`. Default `Date.now`. */
  now?: () => number;
  /** Called after every HTTP attempt, for metrics and logs. Errors it throws are ignored. */
  onCall?: (info: ConnectPspCallInfo) => void;
}

interface RequestSpec<T> {
  method: 'GET' | 'POST';
  /** Route template for `onCall` and error messages. */
  route: string;
  /** Concrete path, ids already encoded. */
  path: string;
  body?: unknown;
  /** Everything but `/auth/token` carries `Authorization` and `ApplicationToken`. */
  authenticated: boolean;
  /** Adds `DigitalSignature`. */
  signed: boolean;
  idempotencyKey?: string | undefined;
  schema: z.ZodType<T>;
}

type AttemptResult<T> = { ok: true; value: T } | { ok: false; error: ConnectPspError };

const REQUIRED_STRING_OPTIONS = ['baseUrl', 'clientId', 'clientSecret', 'applicationToken', 'cryptoToken'] as const;

/**
 * Client of the ConnectPSP v2 API. One instance per set of credentials; it is safe to share across
 * concurrent requests (the token cache is single-flight).
 *
 * Retry policy (docs/connectpsp.md §5.3, §9.4): network errors, timeouts and 5xx are retried up to
 * `maxAttempts` times with capped exponential backoff and full jitter, reusing the caller's
 * idempotency key; other 4xx never are. Any `401` (TOKEN_EXPIRED, INVALID_TOKEN, …) drops the cached
 * token and triggers one re-authentication and one retry with the new token (and a recomputed
 * `DigitalSignature`).
 */
export class ConnectPspClient {
  private readonly baseUrl: string;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly applicationToken: string;
  private readonly cryptoToken: string;
  private readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly onCall: ((info: ConnectPspCallInfo) => void) | undefined;
  private readonly tokens: ConnectPspTokenCache;

  constructor(options: ConnectPspClientOptions) {
    for (const name of REQUIRED_STRING_OPTIONS) {
      if (typeof options[name] !== 'string' || options[name] === '') {
        throw new TypeError(`ConnectPspClient: option ${name} is required`);
      }
    }
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.applicationToken = options.applicationToken;
    this.cryptoToken = options.cryptoToken;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    // Called detached: a platform fetch may insist on its own `this`.
    this.fetch = (url, init) => fetchImpl(url, init);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.onCall = options.onCall;
    this.tokens = new ConnectPspTokenCache({ fetchToken: () => this.authenticate(), now: this.now });
  }

  /**
   * `POST /auth/token`: exchanges the client credentials for a JWT. The other methods call this
   * through the token cache; call it directly only to check credentials (e.g. a readiness probe).
   */
  authenticate(): Promise<AccessToken> {
    return this.request({
      method: 'POST',
      route: '/auth/token',
      path: '/auth/token',
      // The docs describe clientId as numeric but type it as a string (§2.2).
      body: { clientId: this.clientId, clientSecret: this.clientSecret },
      authenticated: false,
      signed: false,
      schema: accessTokenSchema,
    });
  }

  /**
   * `POST /cash-in`: creates a PIX charge, or an Open Finance payment intent when `openFinance` is
   * given. The answer carries `pixData` (PIX) or `paymentUrl` (Open Finance).
   */
  createCashIn(input: CreateCashInInput, options: IdempotentCallOptions): Promise<CashIn> {
    return this.request({
      method: 'POST',
      route: '/cash-in',
      path: '/cash-in',
      body: {
        amount: centavosToReais(input.amount),
        externalReference: input.externalReference,
        expirationInMinutes: input.expirationInMinutes,
        webhookUrl: input.webhookUrl,
        payer: { name: input.payer.name, document: input.payer.document },
        openFinance: input.openFinance && { redirectUrl: input.openFinance.redirectUrl },
      },
      authenticated: true,
      signed: false,
      idempotencyKey: requireIdempotencyKey(options),
      schema: cashInSchema,
    });
  }

  /** `GET /cash-in/{id}`; `id` is the transactionId, internalCode or endToEndId. */
  getCashIn(id: string): Promise<CashIn> {
    return this.request({
      method: 'GET',
      route: '/cash-in/{id}',
      path: `/cash-in/${encodeId(id)}`,
      authenticated: true,
      signed: false,
      schema: cashInSchema,
    });
  }

  /**
   * `POST /cash-in/{id}/refund`: full devolution of a PAID cash-in. The 202 answer already carries
   * the devolution's `D…` endToEndId.
   */
  refundCashIn(id: string, input: RefundCashInInput, options: IdempotentCallOptions): Promise<CashInRefund> {
    return this.request({
      method: 'POST',
      route: '/cash-in/{id}/refund',
      path: `/cash-in/${encodeId(id)}/refund`,
      body: { reason: input.reason, description: input.description },
      authenticated: true,
      // The guides list only cash-out and rebalance as signed, but the refund page itself lists
      // DigitalSignature as a required header (docs/connectpsp.md §2.4, §7.1). An extra header costs
      // nothing; a missing one costs a 422 INVALID_SIGNATURE on a refund.
      signed: true,
      idempotencyKey: requireIdempotencyKey(options),
      schema: cashInRefundSchema,
    });
  }

  /**
   * `POST /cash-out`: queues a PIX transfer. The 202 answer means accepted, not settled; the
   * outcome arrives as `CASHOUT_COMPLETED` / `CASHOUT_FAILED`. The idempotency key is mandatory:
   * GET cannot look a cash-out up by externalReference, so without it a timed-out create that
   * answers 409 on retry could never be matched to its transaction (§9.3).
   */
  createCashOut(input: CreateCashOutInput, options: IdempotentCallOptions): Promise<CashOut> {
    return this.request({
      method: 'POST',
      route: '/cash-out',
      path: '/cash-out',
      body: {
        amount: centavosToReais(input.amount),
        externalReference: input.externalReference,
        description: input.description,
        webhookUrl: input.webhookUrl,
        payee: input.payee,
      },
      authenticated: true,
      signed: true,
      idempotencyKey: requireIdempotencyKey(options),
      schema: cashOutSchema,
    });
  }

  /** `GET /cash-out/{id}`; `id` is the transactionId, internalCode or endToEndId. */
  getCashOut(id: string): Promise<CashOut> {
    return this.request({
      method: 'GET',
      route: '/cash-out/{id}',
      path: `/cash-out/${encodeId(id)}`,
      authenticated: true,
      signed: false,
      schema: cashOutSchema,
    });
  }

  /** `GET /account/balance`: the current consolidated and per-bank snapshot. */
  getBalance(): Promise<Balance> {
    return this.request({
      method: 'GET',
      route: '/account/balance',
      path: '/account/balance',
      authenticated: true,
      signed: false,
      schema: balanceSchema,
    });
  }

  /**
   * `POST /account/rebalance`: moves funds so the transactional account matches `targetAmount`.
   * The docs list no idempotency header here; the target is absolute, so a retry finds nothing left
   * to move. A key is still sent when the caller gives one.
   */
  rebalance(input: RebalanceInput, options: Partial<IdempotentCallOptions> = {}): Promise<RebalanceResult> {
    return this.request({
      method: 'POST',
      route: '/account/rebalance',
      path: '/account/rebalance',
      body: { targetAmount: centavosToReais(input.targetAmount) },
      authenticated: true,
      signed: true,
      idempotencyKey: options.idempotencyKey,
      schema: rebalanceResultSchema,
    });
  }

  /** Runs one call: attempts, re-authentication on TOKEN_EXPIRED, retries with backoff. */
  private async request<T>(spec: RequestSpec<T>): Promise<T> {
    // Serialised once, so every retry sends the same bytes under the same idempotency key.
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    let attempt = 0;
    let transientFailures = 0;
    let reauthenticated = false;

    for (;;) {
      attempt += 1;
      const accessToken = spec.authenticated ? await this.tokens.getToken() : null;
      const result = await this.attempt(spec, body, accessToken, attempt);
      if (result.ok) return result.value;
      const { error } = result;

      if (accessToken !== null && !reauthenticated && error.status === 401) {
        // Any 401, not only TOKEN_EXPIRED: a gateway that restarted, rotated its signing key or
        // revoked the token answers with other codes (INVALID_TOKEN, or none), and keeping the
        // cached JWT would fail every call for up to its 55 minutes. Once only: a 401 for a
        // brand-new token is a credential problem, surfaced as ConnectPspAuthenticationError.
        reauthenticated = true;
        this.tokens.invalidate(accessToken);
        continue;
      }
      if (isTransient(error)) {
        transientFailures += 1;
        if (transientFailures < this.maxAttempts) {
          await this.sleep(this.backoffMs(transientFailures));
          continue;
        }
      }
      throw error;
    }
  }

  /** One HTTP exchange, reported to `onCall`, turned into a value or a typed error. */
  private async attempt<T>(
    spec: RequestSpec<T>,
    body: string | undefined,
    accessToken: string | null,
    attempt: number,
  ): Promise<AttemptResult<T>> {
    const startedAt = this.now();
    const exchange = await this.exchange(spec, body, accessToken);
    const result = exchange instanceof ConnectPspConnectionError ? fail<T>(exchange) : this.interpret(spec, exchange);
    this.report({
      method: spec.method,
      path: spec.route,
      status: exchange instanceof ConnectPspConnectionError ? 0 : exchange.status,
      ...(result.ok ? {} : { code: result.error.code }),
      attempt,
      durationMs: this.now() - startedAt,
    });
    return result;
  }

  /** Sends the request and reads the whole answer under one per-attempt timeout. */
  private async exchange<T>(
    spec: RequestSpec<T>,
    body: string | undefined,
    accessToken: string | null,
  ): Promise<{ status: number; text: string } | ConnectPspConnectionError> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const response = await this.fetch(`${this.baseUrl}${spec.path}`, {
        method: spec.method,
        headers: this.headersFor(spec, body, accessToken),
        body: body ?? null,
        signal: controller.signal,
      });
      return { status: response.status, text: await response.text() };
    } catch (cause) {
      const timedOut = controller.signal.aborted;
      return new ConnectPspConnectionError({
        code: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
        detail: timedOut
          ? `${spec.method} ${spec.route}: no complete answer within ${this.timeoutMs} ms`
          : `${spec.method} ${spec.route}: ${networkErrorText(cause)}`,
        cause,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private headersFor<T>(spec: RequestSpec<T>, body: string | undefined, accessToken: string | null): Record<string, string> {
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (accessToken !== null) {
      headers.Authorization = `Bearer ${accessToken}`;
      headers.ApplicationToken = this.applicationToken;
      // Signs the exact JWT of this attempt's Authorization header; after a re-auth it changes too.
      if (spec.signed) headers.DigitalSignature = digitalSignature(accessToken, this.cryptoToken);
    }
    if (spec.idempotencyKey !== undefined) headers['X-Idempotency-Key'] = spec.idempotencyKey;
    return headers;
  }

  private interpret<T>(spec: RequestSpec<T>, { status, text }: { status: number; text: string }): AttemptResult<T> {
    if (status < 200 || status > 299) return fail(connectPspErrorFrom(status, parseJsonOr(text, text)));

    const parsed = spec.schema.safeParse(parseJsonOr(text, undefined));
    if (parsed.success) return { ok: true, value: parsed.data };
    // Not retried: a 2xx means the gateway acted, whatever it then said.
    return fail(
      new ConnectPspApiError({
        status,
        code: 'INVALID_RESPONSE',
        detail: `${spec.method} ${spec.route} answered ${status} with an unexpected body: ${describeIssues(parsed.error)}`,
      }),
    );
  }

  /** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"), as stripe-node does. */
  private backoffMs(retry: number): number {
    const ceiling = Math.min(this.retryMaxDelayMs, this.retryBaseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.random() * ceiling);
  }

  private report(info: ConnectPspCallInfo): void {
    try {
      this.onCall?.(info);
    } catch {
      // A broken metrics hook must not fail a payment.
    }
  }
}

function fail<T>(error: ConnectPspError): AttemptResult<T> {
  return { ok: false, error };
}

/** Worth another attempt with the same idempotency key: no answer, or the gateway's own failure. */
function isTransient(error: ConnectPspError): boolean {
  return error instanceof ConnectPspConnectionError || error.status >= 500;
}

function parseJsonOr<F>(text: string, fallback: F): unknown {
  if (text.trim() === '') return fallback;
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

/** `fetch failed` says nothing; undici puts the useful part (`ECONNREFUSED`, …) in `cause`. */
function networkErrorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${error.message} (${code})` : `${error.message} (${cause.message})`;
  }
  return error.message;
}

/** Accepts `https://host`, `https://host/`, `http://host:3000/sandbox/connectpsp/`; keeps the prefix. */
function normalizeBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`ConnectPspClient: baseUrl must be http(s), got ${url.protocol}`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError('ConnectPspClient: baseUrl must not carry a query string or fragment');
  }
  return url.href.replace(/\/+$/, '');
}

function encodeId(id: string): string {
  if (typeof id !== 'string' || id === '') throw new TypeError('ConnectPSP id must be a non-empty string');
  return encodeURIComponent(id);
}

function requireIdempotencyKey(options: IdempotentCallOptions | undefined): string {
  const key = options?.idempotencyKey;
  if (typeof key !== 'string' || key === '') {
    throw new TypeError('ConnectPSP: pass { idempotencyKey }, generated and stored before the first attempt');
  }
  return key;
}
