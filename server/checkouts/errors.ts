/**
 * What the checkout service throws: domain errors, in the service's words. Only the HTTP edge (the
 * error middleware in `app.ts`) turns them into statuses, so the reconciler, which calls the same
 * service outside any request, never has to catch HTTP.
 */
export type DomainErrorKind =
  /** No such checkout or charge. */
  | 'not_found'
  /** The checkout's state does not allow it (already paid, refund refused, …). */
  | 'conflict'
  /** The request carries something the rules refuse (a missing payer). */
  | 'invalid_input'
  /** Well-formed, but ConnectPSP's business rules refuse it (insufficient funds): nothing was done. */
  | 'unprocessable'
  /** The client secret does not open this checkout. */
  | 'unauthorized'
  /** ConnectPSP did not answer, or answered something unusable: try again later. */
  | 'gateway_unavailable'
  /** ConnectPSP refused our credentials even after a fresh login: an operator was alerted. */
  | 'gateway_auth'
  /** The database is unreachable or timed out: try again in a moment. */
  | 'store_unavailable'
  /** A webhook's claim could not be confirmed by ConnectPSP's own GET (yet). */
  | 'not_confirmed';

export class DomainError extends Error {
  readonly field: string | undefined;
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    options: { field?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.field = options.field;
  }
}

export const notFound = (message: string, field?: string) => new DomainError('not_found', message, field ? { field } : {});
export const conflict = (message: string, field?: string, cause?: unknown) =>
  new DomainError('conflict', message, { ...(field ? { field } : {}), cause });
