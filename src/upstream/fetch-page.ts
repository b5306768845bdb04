// Fetches one page of one upstream endpoint: timeout, bounded retries with backoff, body and record checks.
import pRetry, { AbortError, type RetryContext } from 'p-retry';
import { FeedError } from '../shared/errors.js';
import { redact } from '../shared/redact.js';
import {
  type ResolvedClientOptions,
  resolveClientOptions,
  type UpstreamClientOptions,
} from './client-options.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './retry-policy.js';
import { SOURCES, type SourceName, type SourceRecords, type SourceSpec } from './sources.js';
import { type InvalidRecord, validateRecords } from './validate-records.js';

export type { InvalidRecord };

/** One fetched page: the records that passed their schema, the ones that did not, and how many tries it took. */
export interface PageResult<S extends SourceName = SourceName> {
  readonly source: S;
  readonly page: number;
  /** Valid records as zod parsed them (unknown fields kept), in the order the server sent them. */
  readonly records: SourceRecords[S][];
  /** Records that failed the schema; skipped, never coerced. */
  readonly invalid: InvalidRecord[];
  /** Attempts made, 1 when the first one succeeded. */
  readonly attempts: number;
}

/**
 * Fetches page `page` (1-based) of `source`. Network errors, timeouts, 5xx, 429 and malformed bodies
 * are retried up to `retries` times; other 4xx fail at once. Failures are `FeedError`s naming the
 * endpoint and page; an abort through `options.signal` rejects with the signal's reason.
 *
 * @example const { records, invalid } = await fetchPage('views', 1, { baseUrl: 'http://127.0.0.1:8080' });
 */
export function fetchPage<S extends SourceName>(
  source: S,
  page: number,
  options: UpstreamClientOptions | ResolvedClientOptions,
): Promise<PageResult<S>> {
  const resolved = resolveClientOptions(options);
  return requestPage(source, page, resolved, resolved.signal);
}

/** A failed attempt that may succeed if tried again. */
class RetryableFailure extends Error {
  constructor(
    readonly kind: 'network' | 'timeout' | 'status' | 'malformed',
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * `fetchPage` with options already resolved and an explicit signal (the pager passes its own, so that
 * stopping the pager cancels its requests without touching the caller's signal).
 */
export async function requestPage<S extends SourceName>(
  source: S,
  page: number,
  options: ResolvedClientOptions,
  signal: AbortSignal | undefined,
): Promise<PageResult<S>> {
  const spec = SOURCES[source] as SourceSpec<S>;
  if (!Number.isSafeInteger(page) || page < 1) {
    throw new FeedError('bad_request', `page must be a positive integer, got ${String(page)}`);
  }
  const url = pageUrl(spec, page, options);
  const label = `GET ${spec.path} page ${page}`;
  const fetchImpl = options.fetch; // called unbound: a platform fetch may reject a foreign `this`
  const headers: Record<string, string> = { accept: 'application/json' };
  if (spec.needsToken && options.token) headers['flic-token'] = options.token;
  let attempts = 0;

  const attempt = async (): Promise<PageResult<S>> => {
    attempts++;
    const request = requestSignal(options.timeoutMs, signal);
    try {
      let response: Response;
      try {
        response = await fetchImpl(url, { headers, signal: request.signal });
      } catch (error) {
        throw failureOf(error, request, options.timeoutMs);
      }
      if (!response.ok) {
        const body = await readText(response, request, options.timeoutMs).catch(() => '');
        const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
        if (isRetryableStatus(response.status)) {
          const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
          throw new RetryableFailure('status', status, response.status, retryAfterMs);
        }
        throw new AbortError(fatalStatusError(label, status, response.status, spec, options, url, body));
      }
      const text = await readText(response, request, options.timeoutMs);
      const items = pageItems(text, spec.bodyKey);
      const { records, invalid } = validateRecords(spec.schema, items);
      return { source, page, records, invalid, attempts };
    } finally {
      request.dispose();
    }
  };

  const onFailedAttempt = async ({ error, retriesLeft, retriesConsumed }: RetryContext): Promise<void> => {
    // Anything we did not classify as transient (a bug, an abort) stops at once.
    if (!(error instanceof RetryableFailure)) throw error;
    if (retriesLeft <= 0) return; // p-retry now rejects with this failure.
    const delayMs =
      error.retryAfterMs !== undefined
        ? Math.min(error.retryAfterMs, options.maxRetryAfterMs)
        : backoffDelay(retriesConsumed, options.minRetryDelayMs, options.maxRetryDelayMs);
    options.onRetry?.({
      source,
      path: spec.path,
      page,
      attempt: attempts,
      retriesLeft,
      delayMs,
      reason: redact(error.message),
      ...(error.status !== undefined && { status: error.status }),
      ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
    });
    await sleep(delayMs, signal);
  };

  try {
    // Our own wait runs in onFailedAttempt (full jitter, Retry-After); p-retry's own backoff is off.
    return await pRetry(attempt, { retries: options.retries, minTimeout: 0, onFailedAttempt, signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof RetryableFailure) {
      const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
      const code = error.kind === 'malformed' ? 'upstream_malformed' : 'upstream_unavailable';
      throw new FeedError(code, redact(`${label}: ${error.message} after ${tries}`), { cause: error });
    }
    throw error;
  }
}

function pageUrl(spec: SourceSpec, page: number, options: ResolvedClientOptions): string {
  const query = new URLSearchParams({ page: String(page), page_size: String(options.pageSize) });
  if (spec.takesResonanceAlgorithm && options.resonanceAlgorithm !== undefined) {
    query.set('resonance_algorithm', options.resonanceAlgorithm);
  }
  return `${options.baseUrl}${spec.path}?${query}`;
}

/** The body's record array, or a malformed-page failure saying what was wrong with the body. */
function pageItems(text: string, bodyKey: string): unknown[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new RetryableFailure('malformed', `body is not valid JSON (${cause})`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const got = body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body;
    throw new RetryableFailure(
      'malformed',
      `body is not a JSON object with a "${bodyKey}" array (got ${got})`,
    );
  }
  const items = (body as Record<string, unknown>)[bodyKey];
  if (!Array.isArray(items)) {
    const keys = Object.keys(body).slice(0, 5).join(', ') || 'none';
    const got =
      items === undefined ? `no "${bodyKey}" key; keys: ${keys}` : `"${bodyKey}" is ${describeType(items)}`;
    throw new RetryableFailure('malformed', `body has no "${bodyKey}" array (${got})`);
  }
  return items;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function fatalStatusError(
  label: string,
  status: string,
  code: number,
  spec: SourceSpec,
  options: ResolvedClientOptions,
  url: string,
  body: string,
): FeedError {
  if (code === 401 || code === 403) {
    const hint = !spec.needsToken
      ? 'this endpoint is expected to need no token'
      : options.token
        ? 'the upstream API rejected the Flic-Token; check FLIC_TOKEN'
        : 'no Flic-Token was sent; set FLIC_TOKEN';
    return new FeedError('unauthorized', redact(`${label}: ${status}: ${hint}`));
  }
  if (code === 404) {
    const where = url.slice(0, url.indexOf('?'));
    return new FeedError(
      'upstream_unavailable',
      redact(`${label}: ${status} at ${where}; check API_BASE_URL`),
    );
  }
  const detail = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new FeedError(
    'upstream_unavailable',
    redact(`${label}: ${status} (not retried)${detail ? `: ${detail}` : ''}`),
  );
}

interface RequestSignal {
  readonly signal: AbortSignal;
  timedOut(): boolean;
  dispose(): void;
}

/**
 * One controller per attempt, aborted by the per-request timeout or by the caller's signal.
 * Not `AbortSignal.any([AbortSignal.timeout(ms), signal])`: `any` retains every dependent signal on a
 * long-lived parent in Node 20/22 (nodejs/node#54614, #55351), and a timeout signal cannot be cancelled,
 * so thousands of pages would leave thousands of live timers; this timer is cleared with the attempt.
 */
function requestSignal(timeoutMs: number, outer: AbortSignal | undefined): RequestSignal {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no response within ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

async function readText(response: Response, request: RequestSignal, timeoutMs: number): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw failureOf(error, request, timeoutMs);
  }
}

/** Classifies what `fetch` or a body read threw: caller abort (stop), timeout or network error (retry). */
function failureOf(error: unknown, request: RequestSignal, timeoutMs: number): Error {
  if (request.timedOut()) return new RetryableFailure('timeout', `no response within ${timeoutMs} ms`);
  if (request.signal.aborted) return new AbortError('aborted by the caller');
  return new RetryableFailure('network', `network error: ${networkCause(error)}`);
}

/** `fetch failed (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9)`, from undici's error and its cause. */
function networkCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${error.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  return error.message;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
