// Whether a database error means "the database cannot be reached right now" (a refused or dropped
// connection, a server shutting down, a connect timeout, a SQLite file locked past its busy timeout),
// as opposed to a bad query: callers answer the first with 503 and a retry, the second as a bug.

/** Node socket errors of a connection that could not be made or was lost. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01..57P03 (admin or crash shutdown, cannot
 * connect now), 53300 (too many connections).
 */
const POSTGRES_STATES = /^(08...|57P0[123]|53300)$/;

/** What node-postgres says when a connection drops or cannot be made in time (it sets no code). */
const POSTGRES_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection timeout|is not queryable|Cannot use a pool after calling end/i;

/**
 * Whether `error` (or an error it was caused by) says the database is unreachable.
 * @example isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) // true
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (SOCKET_CODES.has(code) || POSTGRES_STATES.test(code) || code === 'SQLITE_BUSY') return true;
    }
    if (POSTGRES_MESSAGES.test(e.message)) return true;
    // An AggregateError (one per address tried) is unreachable when its parts are.
    if (e instanceof AggregateError && e.errors.some((part) => isDatabaseUnavailable(part))) return true;
    e = e.cause;
  }
  return false;
}
