// Options of the upstream HTTP client: what a caller may set, the defaults, and the validated, frozen form.
import { FeedError } from '../shared/errors.js';
import { registerSecret } from '../shared/redact.js';
import type { SourceName } from './sources.js';

/** What `onRetry` is told before the client waits and tries a page again. Never holds the token. */
export interface RetryInfo {
  readonly source: SourceName;
  /** Endpoint path, e.g. `/posts/view`. */
  readonly path: string;
  readonly page: number;
  /** The attempt that just failed, 1-based. */
  readonly attempt: number;
  /** Attempts still allowed after this one. */
  readonly retriesLeft: number;
  /** How long the client waits before the next attempt. */
  readonly delayMs: number;
  /** Why the attempt failed, e.g. `HTTP 503 Service Unavailable` or `body is not valid JSON (…)`. */
  readonly reason: string;
  /** HTTP status of the failed attempt, when there was a response. */
  readonly status?: number;
  /** What the server's `Retry-After` asked for (before the cap), when it sent one. */
  readonly retryAfterMs?: number;
}

export interface UpstreamClientOptions {
  /** Base URL of the upstream API (`API_BASE_URL`), e.g. `https://api.example.com` or `http://127.0.0.1:8080/api`. */
  baseUrl: string;
  /** Sent as `Flic-Token` to the endpoints that need it (`FLIC_TOKEN`). Never logged. */
  token?: string;
  /** Passed as `resonance_algorithm` to the interaction endpoints (`RESONANCE_ALGORITHM`). */
  resonanceAlgorithm?: string;
  /** Records per page, 1..1000 (`PAGE_SIZE`). Default 1000. */
  pageSize?: number;
  /** Time allowed for one request, headers and body, in ms. Default 30000. */
  timeoutMs?: number;
  /** Retries after the first attempt (so `retries + 1` attempts at most). Default 5. */
  retries?: number;
  /** Backoff base: the first retry waits a random 0..minRetryDelayMs ms (full jitter), doubling each retry. Default 250. */
  minRetryDelayMs?: number;
  /** Backoff cap: no computed backoff exceeds this. Default 10000. */
  maxRetryDelayMs?: number;
  /**
   * Cap on a server's `Retry-After` wait, in ms. Default 60000. Kept apart from `maxRetryDelayMs`
   * because the server's explicit request deserves more patience than our own guess (retrying early
   * mostly earns another 429 and burns a retry), yet a broken or hostile header such as
   * `Retry-After: 86400` must not stall a sync for a day.
   */
  maxRetryAfterMs?: number;
  /** Page requests in flight at once per source, 1..64. Default 4. */
  concurrency?: number;
  /** The `fetch` to use; injectable for tests. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Called before each wait for a retry; see `RetryInfo`. */
  onRetry?: (info: RetryInfo) => void;
  /** Aborts every request and wait (Ctrl-C); the operation then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** Options after validation, with every default filled in. Read-only. */
export type ResolvedClientOptions = Readonly<
  Required<Omit<UpstreamClientOptions, 'token' | 'resonanceAlgorithm' | 'onRetry' | 'signal'>> &
    Pick<UpstreamClientOptions, 'token' | 'resonanceAlgorithm' | 'onRetry' | 'signal'>
>;

const resolvedOptions = new WeakSet<object>();

/**
 * Validates the options once, fills in defaults, registers the token as a secret and freezes the result.
 * Passing an already resolved object returns it unchanged.
 *
 * @example resolveClientOptions({ baseUrl: 'http://127.0.0.1:8080', token: process.env.FLIC_TOKEN })
 */
export function resolveClientOptions(
  options: UpstreamClientOptions | ResolvedClientOptions,
): ResolvedClientOptions {
  if (resolvedOptions.has(options)) return options as ResolvedClientOptions;
  const {
    baseUrl,
    token,
    resonanceAlgorithm,
    pageSize = 1000,
    timeoutMs = 30_000,
    retries = 5,
    minRetryDelayMs = 250,
    maxRetryDelayMs = 10_000,
    maxRetryAfterMs = 60_000,
    concurrency = 4,
    fetch: fetchImpl = globalThis.fetch,
    onRetry,
    signal,
  } = options;
  // Registered before anything can fail, so that no later message can carry it.
  registerSecret(token);

  checkUrl(baseUrl);
  checkInt('pageSize', pageSize, 1, 1000);
  checkInt('timeoutMs', timeoutMs, 1, 3_600_000);
  checkInt('retries', retries, 0, 100);
  checkInt('minRetryDelayMs', minRetryDelayMs, 0, 3_600_000);
  checkInt('maxRetryDelayMs', maxRetryDelayMs, 0, 3_600_000);
  checkInt('maxRetryAfterMs', maxRetryAfterMs, 0, 3_600_000);
  checkInt('concurrency', concurrency, 1, 64);
  if (typeof fetchImpl !== 'function') {
    throw new FeedError('config_invalid', 'upstream client needs a fetch function; none is available');
  }

  const resolved: ResolvedClientOptions = Object.freeze({
    // A trailing slash would double up with the endpoint paths, which all start with one.
    baseUrl: baseUrl.replace(/\/+$/, ''),
    token: token === '' ? undefined : token,
    resonanceAlgorithm: resonanceAlgorithm === '' ? undefined : resonanceAlgorithm,
    pageSize,
    timeoutMs,
    retries,
    minRetryDelayMs,
    maxRetryDelayMs,
    maxRetryAfterMs,
    concurrency,
    fetch: fetchImpl,
    onRetry,
    signal,
  });
  resolvedOptions.add(resolved);
  return resolved;
}

function checkUrl(baseUrl: unknown): asserts baseUrl is string {
  let url: URL | undefined;
  try {
    url = typeof baseUrl === 'string' ? new URL(baseUrl) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new FeedError(
      'config_invalid',
      `API_BASE_URL must be an absolute http(s) URL without query or fragment, e.g. https://api.example.com; got ${JSON.stringify(String(baseUrl))}`,
    );
  }
}

function checkInt(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FeedError('config_invalid', `${name} must be an integer ${min}..${max}, got ${String(value)}`);
  }
}
