// Pure retry rules of the upstream client: which failures are worth another try, and how long to wait.

/** Statuses that may succeed on a later try: rate limiting and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"):
 * a uniform random wait in `0..min(max, min·2^retry)`. Full jitter spreads the retries of the
 * pages in flight, which all tend to fail together, instead of sending them back in lockstep.
 *
 * @param retry 0 for the first retry, 1 for the second, …
 * @example backoffDelay(2, 250, 10_000) // somewhere in 0..1000
 */
export function backoffDelay(
  retry: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(retry, 30));
  return Math.round(random() * ceiling);
}

/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 * Returns the wait in ms (0 for a date in the past), or undefined when absent or unreadable.
 *
 * @example parseRetryAfter('2') // 2000
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse also accepts odd forms such as "1"; only a date with letters (a day or month name) counts.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
