/**
 * Which store errors mean "the database cannot be reached or answered too slowly" — a condition
 * that passes (a restart, a failover, a cut network, a busy SQLite file) — rather than a bug. The
 * HTTP edge answers those 503 with `Retry-After`, never 500: the request may simply be tried again.
 */

/** PostgreSQL SQLSTATE classes and codes that say the server or the connection went away. */
const PG_UNAVAILABLE_CODES = new Set([
  '57P01', // admin_shutdown (restart, failover)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovery)
  '57014', // query_canceled (statement_timeout)
  '53300', // too_many_connections
  '40001', // serialization_failure: try again
  '40P01', // deadlock_detected: try again
]);
const NODE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** pg's own messages for a connection that ended or a wait that ran out. */
const PG_MESSAGES =
  /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Query read timeout|Connection ended unexpectedly|Client was closed and is not queryable|Cannot use a pool after calling end/i;
/** SQLite: another writer holds the file, or the disk said no. */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL|NOMEM)/;

export function isStoreUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (PG_UNAVAILABLE_CODES.has(code) || code.startsWith('08') || NODE_NETWORK_CODES.has(code) || SQLITE_UNAVAILABLE.test(code))
      return true;
  }
  return PG_MESSAGES.test(err.message);
}
