/**
 * The widget's side of the companion server's browser routes (docs/design.md "Companion server HTTP
 * contract": `GET …/session`, `POST …/pix`, `GET …/events`). Every method resolves to a result union
 * and never rejects: a network failure, a timeout, an HTTP error and a malformed body all come back
 * as a typed {@link ConnectpspError}, so no failure can escape into the merchant's page as an
 * unhandled rejection.
 *
 * The paths are written here rather than taken from `ROUTES` (server/contract.ts): that table holds
 * every server route, and the script-tag bundle needs three.
 */
import type { OpenFinanceChargeView, Payer, PixChargeView } from './contract/wire-contract.js';
import { measureClockOffset } from './countdown.js';
import type { ConnectpspError, ConnectpspErrorReason } from './events.js';
import { REASON_BY_ERROR_TYPE, parseCharge, parseErrorBody, parsePixCharge, parseSession, type Parsed, type SessionView } from './wire.js';

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ConnectpspError };

/** A session plus how far the server clock is ahead of ours, measured on this very request. */
export interface SessionResult {
  session: SessionView;
  clockOffsetMs: number | null;
}

/** Long enough for a slow mobile network, short enough that a hung server never spins forever. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Turns the `server` attribute into a base URL without a trailing slash, or `null` when it is not an
 * http(s) URL. Relative values resolve against the page, so `server="/"` means "this origin".
 */
export function resolveServerUrl(server: string | null | undefined, base: string = document.baseURI): string | null {
  if (!server?.trim()) return null;
  try {
    const url = new URL(server.trim(), base);
    if (/^https?:$/.test(url.protocol)) return (url.origin + url.pathname).replace(/\/+$/, '');
  } catch {
    // not a URL
  }
  return null;
}

const failure = (reason: ConnectpspErrorReason, message: string): { ok: false; error: ConnectpspError } => ({
  ok: false,
  error: { reason, message },
});

export class ApiClient {
  constructor(
    /** Base URL of the companion server (no trailing slash); may carry a path prefix. */
    private readonly _base: string,
    private readonly _checkoutId: string,
    private readonly _secret: string,
    /** A request that has not answered by then counts as a network error. */
    private readonly _timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  /** `GET /v1/checkouts/:id/session`. */
  async _getSession(signal?: AbortSignal, refresh?: boolean): Promise<ApiResult<SessionResult>> {
    const sentAt = Date.now();
    // `refresh=true`: back from the bank, the server asks ConnectPSP now instead of waiting for a webhook.
    const result = await this._request(refresh ? 'session?refresh=true' : 'session', parseSession, signal);
    return result.ok
      ? { ok: true, value: { session: result.value, clockOffsetMs: measureClockOffset(result.value.serverTime, sentAt, Date.now()) } }
      : result;
  }

  /** `POST /v1/checkouts/:id/pix`: the active charge, or a new one once the last expired. */
  _createPixCharge(payer: Payer | null): Promise<ApiResult<PixChargeView>> {
    return this._request('pix', parsePixCharge, undefined, JSON.stringify(payer ? { payer } : {}));
  }

  /** `POST /v1/checkouts/:id/open-finance`: the Open Finance payment, with the bank's `paymentUrl`. */
  _createOpenFinance(payer: Payer | null, returnUrl: string): Promise<ApiResult<OpenFinanceChargeView>> {
    return this._request(
      'open-finance',
      parseCharge('open_finance'),
      undefined,
      JSON.stringify(payer ? { payer, returnUrl } : { returnUrl }),
    );
  }

  /**
   * The SSE URL. `EventSource` cannot send headers, so the secret rides in the query string; the
   * server never logs it (docs/design.md).
   */
  _eventsUrl(): string {
    return `${this._url('events')}?client_secret=${encodeURIComponent(this._secret)}`;
  }

  private _url(route: string): string {
    return `${this._base}/v1/checkouts/${encodeURIComponent(this._checkoutId)}/${route}`;
  }

  /** A GET, or a POST of `body` (JSON). */
  private async _request<T>(
    route: string,
    parse: (value: unknown) => Parsed<T>,
    signal?: AbortSignal,
    body?: string,
  ): Promise<ApiResult<T>> {
    // A timer of our own (not AbortSignal.timeout) so fake timers in tests control it too.
    const controller = new AbortController();
    const abort = () => controller.abort();
    const timer = setTimeout(abort, this._timeoutMs);
    signal?.addEventListener('abort', abort);
    try {
      let response: Response;
      try {
        response = await fetch(this._url(route), {
          method: body ? 'POST' : 'GET',
          body,
          headers: {
            Accept: 'application/json',
            Authorization: `Bearer ${this._secret}`,
            ...(body && { 'Content-Type': 'application/json' }),
          },
          signal: controller.signal,
          credentials: 'omit',
          cache: 'no-store',
        });
      } catch (cause) {
        const timedOut = controller.signal.aborted && !signal?.aborted;
        return failure('network_error', timedOut ? `no answer from ${this._base} within ${this._timeoutMs} ms` : `${this._base}: ${cause}`);
      }
      // A body that is not JSON, or that breaks off mid-stream, reads as none.
      const json: unknown = await response.json().catch(() => undefined);
      if (!response.ok) return { ok: false, error: httpError(response.status, json) };
      const parsed = parse(json);
      return parsed.ok ? parsed : failure('invalid_response', `${route}: ${parsed.problem}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    }
  }
}

/** The reason for a bare HTTP status, when the body is not the server's `ErrorBody` (a proxy page). */
const REASON_BY_STATUS: Record<number, ConnectpspErrorReason> = {
  401: 'unauthorized',
  403: 'unauthorized',
  404: 'not_found',
  409: 'conflict',
  429: 'rate_limited',
  502: 'gateway_error',
};

/** Maps an HTTP error to a reason: the server's typed body first, the status code as a fallback. */
export function httpError(httpStatus: number, body: unknown): ConnectpspError {
  const parsed = parseErrorBody(body);
  const error: ConnectpspError = {
    reason: parsed
      ? REASON_BY_ERROR_TYPE[parsed.type]
      : (REASON_BY_STATUS[httpStatus] ?? (httpStatus < 500 ? 'invalid_request' : 'server_error')),
    httpStatus,
    message: parsed?.message ?? `HTTP ${httpStatus}`,
  };
  if (parsed?.field) error.field = parsed.field;
  return error;
}
