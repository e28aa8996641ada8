import type { ErrorType } from 'connectpsp-checkout/contract';

const STATUS_TYPES: Record<number, ErrorType> = {
  400: 'invalid_request',
  401: 'unauthorized',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'invalid_request',
  429: 'rate_limited',
  502: 'gateway_error',
  503: 'gateway_error',
};

/**
 * An error with an HTTP answer. Routes throw it; the one error middleware in `app.ts` turns it into
 * `{ error: { type, message, field } }`.
 */
export class HttpError extends Error {
  readonly type: ErrorType;
  readonly field: string | undefined;
  /** Sent as `Retry-After` (seconds) when set. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly status: number,
    message: string,
    options: { field?: string; type?: ErrorType; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'HttpError';
    this.type = options.type ?? STATUS_TYPES[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
    this.field = options.field;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
