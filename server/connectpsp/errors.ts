/**
 * Typed errors of the ConnectPSP client, built from RFC 7807 problem details (docs/connectpsp.md §5).
 *
 * Branch on `code` (the docs say so, §5.1) or on the class; never on `detail`, which is free text.
 * The hierarchy follows docs/design.md convention 14 (stripe-node `StripeError`/`generateV1Error`).
 */
import { problemDetailsSchema } from './schemas.js';

/** Codes the client itself assigns when the gateway gave no usable answer. */
export type ConnectPspLocalErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'INVALID_RESPONSE' | 'UNKNOWN';

export interface ConnectPspErrorInit {
  /** HTTP status; 0 when no response arrived. */
  status: number;
  /** Gateway `code` (e.g. `INSUFFICIENT_FUNDS`), or a {@link ConnectPspLocalErrorCode}. */
  code: string;
  detail?: string | null | undefined;
  title?: string | null | undefined;
  type?: string | null | undefined;
  cause?: unknown;
}

/** Keep the text of a non-problem error body readable in logs without dumping a whole HTML page. */
const MAX_TEXT_DETAIL_CHARS = 300;

/**
 * Base class of every error the ConnectPSP client throws. Catch this to handle all gateway
 * failures at once; `status` is 0 when the request never got an HTTP answer.
 */
export class ConnectPspError extends Error {
  /** HTTP status of the gateway's answer; 0 for no response (network error, timeout). */
  readonly status: number;
  /** Machine-readable code: the problem's `code`, or one of the local codes. */
  readonly code: string;
  /** Problem `detail`: text about this occurrence (may mention amounts, never secrets). */
  readonly detail: string | null;
  /** Problem `title`: a summary that is the same for every occurrence. */
  readonly title: string | null;
  /** Problem `type`: URI of the error category. */
  readonly type: string | null;

  constructor(init: ConnectPspErrorInit) {
    super(describe(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail ?? null;
    this.title = init.title ?? null;
    this.type = init.type ?? null;
  }
}

/**
 * Raised on HTTP 401: wrong `clientId`/`clientSecret` (`INVALID_CREDENTIALS`), a missing or unknown
 * `ApplicationToken` (`INVALID_APPLICATION_TOKEN`), or a JWT that is still expired after the one
 * automatic re-authentication (`TOKEN_EXPIRED`). The first two are configuration errors: alert an
 * operator, retrying will not help.
 */
export class ConnectPspAuthenticationError extends ConnectPspError {}

/**
 * Raised on HTTP 400 (validation), 404 (unknown id for this application), 409 (duplicate
 * `externalReference` on cash-out) and 422 (business rule, e.g. `INSUFFICIENT_FUNDS`,
 * `CASH_IN_ALREADY_REFUNDED`, and `INVALID_SIGNATURE`). The request itself is at fault, so the
 * client never retries these.
 */
export class ConnectPspInvalidRequestError extends ConnectPspError {}

/**
 * Raised on 5xx after the retries are used up, on any status the docs do not list (403, 429, …),
 * and with code `INVALID_RESPONSE` when a 2xx body fails validation — in that last case the
 * operation may well have happened, so look it up before trying again.
 */
export class ConnectPspApiError extends ConnectPspError {}

/**
 * Raised when no HTTP answer arrived after the retries are used up: code `NETWORK_ERROR`
 * (connection refused or reset, DNS) or `TIMEOUT` (no complete answer within `timeoutMs`).
 * `status` is 0. A mutating call may or may not have reached the gateway: retry it later with
 * the SAME idempotency key.
 */
export class ConnectPspConnectionError extends ConnectPspError {
  constructor(init: Omit<ConnectPspErrorInit, 'status'> & { code: 'NETWORK_ERROR' | 'TIMEOUT' }) {
    super({ ...init, status: 0 });
  }
}

/**
 * Builds the typed error for an HTTP error answer.
 *
 * @param status the HTTP status of the answer
 * @param body the parsed JSON body (ideally problem+json), or the raw text when it was not JSON
 */
export function connectPspErrorFrom(status: number, body: unknown): ConnectPspError {
  const init = toInit(status, body);
  if (status === 401) return new ConnectPspAuthenticationError(init);
  if (status === 400 || status === 404 || status === 409 || status === 422) {
    return new ConnectPspInvalidRequestError(init);
  }
  return new ConnectPspApiError(init);
}

function toInit(status: number, body: unknown): ConnectPspErrorInit {
  if (typeof body === 'string') {
    const text = body.trim();
    return {
      status,
      code: 'UNKNOWN',
      detail: text === '' ? null : text.slice(0, MAX_TEXT_DETAIL_CHARS),
    };
  }
  const parsed = problemDetailsSchema.safeParse(body);
  const problem = parsed.success ? parsed.data : {};
  return {
    status,
    code: problem.code ?? 'UNKNOWN',
    detail: problem.detail,
    title: problem.title,
    type: problem.type,
  };
}

function describe({ status, code, title, detail }: ConnectPspErrorInit): string {
  const head = `ConnectPSP ${status === 0 ? 'request failed' : `HTTP ${status}`} ${code}`;
  const text = detail ?? title;
  return text ? `${head}: ${text}` : head;
}
