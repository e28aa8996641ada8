/**
 * The widget's side of the companion server's browser routes (DESIGN.md "Companion server HTTP
 * contract"). Every method resolves to a result union and never rejects: a network failure, a
 * timeout, an HTTP error and a malformed body all come back as a typed {@link ConnectpspError}, so
 * no failure can escape into the merchant's page as an unhandled rejection.
 */
import { ROUTES, type CheckoutSession, type Payer, type PixChargeView } from '../server/contract.js';
import type { ConnectpspError, ConnectpspErrorReason } from './events.js';
import { parseErrorBody, parsePixCharge, parseSession, type Parsed } from './wire.js';
import { measureClockOffset } from './countdown.js';

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ConnectpspError };

/** A session plus how far the server clock is ahead of ours, measured on this very request. */
export interface SessionResult {
  session: CheckoutSession;
  clockOffsetMs: number | null;
}

export interface ApiClientOptions {
  /** Base URL of the companion server; may carry a path prefix (`https://shop.example/pay`). */
  server: string;
  checkoutId: string;
  clientSecret: string;
  /** A request that has not answered by then counts as a network error. */
  timeoutMs?: number;
}

/** Long enough for a slow mobile network, short enough that a hung server never spins forever. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Turns the `server` attribute into a base URL without a trailing slash, or `null` when it is not an
 * http(s) URL. Relative values resolve against the page, so `server="/"` means "this origin".
 */
export function resolveServerUrl(server: string | null | undefined, base: string = document.baseURI): string | null {
  if (!server || !server.trim()) return null;
  let url: URL;
  try {
    url = new URL(server.trim(), base);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  url.search = '';
  url.hash = '';
  return url.href.replace(/\/+$/, '');
}

export class ApiClient {
  private readonly base: string;

  constructor(private readonly options: ApiClientOptions) {
    this.base = options.server.replace(/\/+$/, '');
  }

  /** `GET /v1/checkouts/:id/session`. */
  async getSession(signal?: AbortSignal): Promise<ApiResult<SessionResult>> {
    const sentAt = Date.now();
    const result = await this.request(ROUTES.session(this.options.checkoutId), { method: 'GET' }, parseSession, signal);
    if (!result.ok) return result;
    const clockOffsetMs = measureClockOffset(result.value.serverTime, sentAt, Date.now());
    return { ok: true, value: { session: result.value, clockOffsetMs } };
  }

  /** `POST /v1/checkouts/:id/pix`: the active charge, or a new one once the last expired. */
  createPixCharge(payer: Payer | null, signal?: AbortSignal): Promise<ApiResult<PixChargeView>> {
    const body = JSON.stringify(payer ? { payer } : {});
    return this.request(
      ROUTES.pix(this.options.checkoutId),
      { method: 'POST', body, headers: { 'Content-Type': 'application/json' } },
      parsePixCharge,
      signal,
    );
  }

  /**
   * The SSE URL. `EventSource` cannot send headers, so the secret rides in the query string; the
   * server never logs it (DESIGN.md).
   */
  eventsUrl(): string {
    const query = new URLSearchParams({ client_secret: this.options.clientSecret });
    return `${this.base}${ROUTES.events(this.options.checkoutId)}?${query}`;
  }

  private async request<T>(
    path: string,
    init: RequestInit & { headers?: Record<string, string> },
    parse: (value: unknown) => Parsed<T>,
    signal?: AbortSignal,
  ): Promise<ApiResult<T>> {
    // A timer of our own (not AbortSignal.timeout) so fake timers in tests control it too.
    const controller = new AbortController();
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const forwardAbort = () => controller.abort();
    signal?.addEventListener('abort', forwardAbort);

    try {
      let response: Response;
      try {
        response = await fetch(this.base + path, {
          ...init,
          headers: { Accept: 'application/json', Authorization: `Bearer ${this.options.clientSecret}`, ...init.headers },
          signal: controller.signal,
          credentials: 'omit',
          cache: 'no-store',
        });
      } catch (cause) {
        const message = timedOut
          ? `no answer from ${this.base} within ${timeoutMs} ms`
          : `could not reach ${this.base}: ${cause instanceof Error ? cause.message : String(cause)}`;
        return failure('network_error', message);
      }

      let json: unknown;
      try {
        json = await response.json();
      } catch {
        json = undefined;
      }

      if (!response.ok) return { ok: false, error: httpError(response.status, json) };
      if (json === undefined) return failure('invalid_response', `${init.method} ${path} answered ${response.status} without a JSON body`);
      const parsed = parse(json);
      if (!parsed.ok) return failure('invalid_response', `${init.method} ${path}: ${parsed.problem}`);
      return { ok: true, value: parsed.value };
    } catch (cause) {
      // Reading the body can fail mid-stream (the connection dropped); that is a network error.
      return failure('network_error', `connection to ${this.base} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forwardAbort);
    }
  }
}

function failure(reason: ConnectpspErrorReason, message: string): { ok: false; error: ConnectpspError } {
  return { ok: false, error: { reason, message } };
}

const REASON_BY_ERROR_TYPE: Record<string, ConnectpspErrorReason> = {
  invalid_request: 'invalid_request',
  payload_too_large: 'invalid_request',
  unauthorized: 'unauthorized',
  not_found: 'not_found',
  conflict: 'conflict',
  rate_limited: 'rate_limited',
  gateway_error: 'gateway_error',
  internal_error: 'server_error',
};

/** The reason for a bare HTTP status, when the body is not the server's `ErrorBody` (a proxy page). */
function reasonForStatus(httpStatus: number): ConnectpspErrorReason {
  switch (httpStatus) {
    case 401:
    case 403:
      return 'unauthorized';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 429:
      return 'rate_limited';
    case 502:
      return 'gateway_error';
    default:
      return httpStatus < 500 ? 'invalid_request' : 'server_error';
  }
}

/** Maps an HTTP error to a reason: the server's typed body first, the status code as a fallback. */
export function httpError(httpStatus: number, body: unknown): ConnectpspError {
  const parsed = parseErrorBody(body);
  const reason = (parsed && REASON_BY_ERROR_TYPE[parsed.type]) || reasonForStatus(httpStatus);
  const error: ConnectpspError = { reason, httpStatus, message: parsed?.message ?? `HTTP ${httpStatus}` };
  if (parsed?.field) error.field = parsed.field;
  return error;
}
