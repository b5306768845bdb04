// The upstream client's single-page fetch against a real HTTP server on 127.0.0.1: requests, retries, errors.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { FeedError } from '../src/shared/errors.js';
import {
  backoffDelay,
  createUpstreamClient,
  fetchPage,
  parseRetryAfter,
  type RetryInfo,
  resolveClientOptions,
  type UpstreamClientOptions,
} from '../src/upstream/index.js';
import {
  type StubHandler,
  type StubReply,
  startUpstreamStub,
  type UpstreamStub,
  userRecords,
  viewRecords,
} from './support/upstream-stub.js';

const TOKEN = 'flic-secret-7f3a9c2e';

let stub: UpstreamStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

/** Starts the stub and returns client options pointing at it, with tiny retry delays. */
async function serve(handler: StubHandler, extra: Partial<UpstreamClientOptions> = {}) {
  stub = await startUpstreamStub(handler);
  const retries: RetryInfo[] = [];
  const options: UpstreamClientOptions = {
    baseUrl: stub.baseUrl,
    token: TOKEN,
    pageSize: 10,
    retries: 3,
    minRetryDelayMs: 1,
    maxRetryDelayMs: 5,
    maxRetryAfterMs: 5,
    onRetry: (info) => retries.push(info),
    ...extra,
  };
  return { stub, options, retries };
}

/** Replies from `script` in order, then with `rest` for every later request. */
function sequence(script: StubReply[], rest: StubHandler): StubHandler {
  let n = 0;
  return (request) => (n < script.length ? script[n++]! : rest(request));
}

async function failure(promise: Promise<unknown>): Promise<FeedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FeedError);
  return error as FeedError;
}

function expectNoToken(value: unknown): void {
  expect(inspect(value, { depth: null })).not.toContain(TOKEN);
  expect(JSON.stringify(value) ?? '').not.toContain(TOKEN);
}

describe('fetchPage requests', () => {
  it('asks for the page with page, page_size and resonance_algorithm on interaction endpoints', async () => {
    const { stub, options } = await serve(() => ({ json: { posts: viewRecords(3) } }), {
      resonanceAlgorithm: 'resonance_v2 & more',
    });
    const result = await fetchPage('views', 3, options);
    expect(result).toMatchObject({ source: 'views', page: 3, attempts: 1, invalid: [] });
    expect(result.records.map((r) => r.id)).toEqual([1, 2, 3]);
    const [request] = stub.requests;
    expect(request?.path).toBe('/posts/view');
    expect(Object.fromEntries(request!.query)).toEqual({
      page: '3',
      page_size: '10',
      resonance_algorithm: 'resonance_v2 & more',
    });
  });

  it('does not send resonance_algorithm to the user and post endpoints', async () => {
    const { stub, options } = await serve(() => ({ json: { users: userRecords(1) } }), {
      resonanceAlgorithm: 'r',
    });
    await fetchPage('users', 1, options);
    expect(stub.requests[0]?.query.has('resonance_algorithm')).toBe(false);
  });

  it('sends the Flic-Token only to the endpoints that need it', async () => {
    const { stub, options } = await serve(({ path }) => ({
      json: path === '/users/get_all' ? { users: [] } : { posts: [] },
    }));
    for (const source of ['users', 'posts', 'views', 'likes', 'inspires', 'ratings'] as const) {
      await fetchPage(source, 1, options);
    }
    const sent = Object.fromEntries(stub.requests.map((r) => [r.path, r.headers['flic-token'] ?? null]));
    expect(sent).toEqual({
      '/users/get_all': TOKEN,
      '/posts/summary/get': TOKEN,
      '/posts/view': null,
      '/posts/like': null,
      '/posts/inspire': null,
      '/posts/rating': null,
    });
  });

  it('joins a base URL with a path prefix and a trailing slash', async () => {
    const { stub, options } = await serve(() => ({ json: { posts: [] } }));
    await fetchPage('likes', 1, { ...options, baseUrl: `${stub.baseUrl}/api/v1/` });
    expect(stub.requests[0]?.path).toBe('/api/v1/posts/like');
  });

  it('rejects options out of range with a message naming the option and the accepted range', () => {
    expect(() => resolveClientOptions({ baseUrl: 'http://127.0.0.1:1', pageSize: 1001 })).toThrow(
      'pageSize must be an integer 1..1000, got 1001',
    );
    expect(() => resolveClientOptions({ baseUrl: 'http://127.0.0.1:1', concurrency: 0 })).toThrow(
      /concurrency/,
    );
    expect(() => resolveClientOptions({ baseUrl: 'ftp://example.com' })).toThrow(/API_BASE_URL must be/);
  });
});

describe('fetchPage validation', () => {
  it('passes valid records as parsed with extra fields kept and reports invalid ones with reasons', async () => {
    const records = [
      { id: 1, post_id: 2, user_id: 3, viewed_at: '2024-01-01 10:00:00', source: 'app' },
      { id: 2, post_id: 2, user_id: '3', viewed_at: '2024-01-01 10:00:00' },
      { id: 3, post_id: 2, user_id: 3, viewed_at: '2024-01-01T10:00:00Z' },
      null,
      { id: 5, post_id: 2, user_id: 3, viewed_at: '2024-01-01 10:00:01' },
    ];
    const { options } = await serve(() => ({ json: { posts: records } }));
    const result = await fetchPage('views', 1, options);
    expect(result.records).toEqual([records[0], records[4]]);
    expect(result.invalid).toEqual([
      { index: 1, id: 2, reason: 'user_id: expected number, received string' },
      { index: 2, id: 3, reason: 'viewed_at: expected "YYYY-MM-DD HH:MM:SS"' },
      { index: 3, reason: 'record: expected object, received null' },
    ]);
    expect(result.attempts).toBe(1);
  });

  it('never coerces: a numeric string id and an out-of-range rating are reported, not fixed', async () => {
    const { options } = await serve(() => ({
      json: {
        posts: [
          { id: '7', post_id: 1, user_id: 1, rating_percent: 50, rated_at: '2024-01-01 00:00:00' },
          { id: 8, post_id: 1, user_id: 1, rating_percent: 101, rated_at: '2024-01-01 00:00:00' },
        ],
      },
    }));
    const result = await fetchPage('ratings', 1, options);
    expect(result.records).toEqual([]);
    expect(result.invalid.map((r) => [r.id, r.reason])).toEqual([
      ['7', 'id: expected number, received string'],
      [8, 'rating_percent: Too big: expected number to be <=100'],
    ]);
  });
});

describe('fetchPage retries', () => {
  it('retries a 500 and succeeds, reporting each retry without the token', async () => {
    const { stub, options, retries } = await serve(
      sequence([{ status: 500 }, { status: 502, raw: 'bad gateway' }], () => ({
        json: { users: userRecords(2) },
      })),
    );
    const result = await fetchPage('users', 1, options);
    expect(result.attempts).toBe(3);
    expect(result.records).toHaveLength(2);
    expect(stub.requests).toHaveLength(3);
    expect(retries.map((r) => [r.attempt, r.status, r.reason])).toEqual([
      [1, 500, 'HTTP 500 Internal Server Error'],
      [2, 502, 'HTTP 502 Bad Gateway'],
    ]);
    expect(retries[0]).toMatchObject({ source: 'users', path: '/users/get_all', page: 1, retriesLeft: 3 });
    expectNoToken(retries);
  });

  it('retries a dropped connection and a body cut off mid-stream', async () => {
    const { options, retries } = await serve(
      sequence([{ destroy: true }, { truncate: true }], () => ({ json: { posts: viewRecords(1) } })),
    );
    const result = await fetchPage('views', 2, options);
    expect(result.attempts).toBe(3);
    expect(retries[0]?.reason).toMatch(/^network error: /);
    expect(retries[1]?.reason).toMatch(/^network error: |^body is not valid JSON/);
  });

  it('retries a request that times out', async () => {
    const { options, retries } = await serve(
      sequence([{ hang: true }], () => ({ json: { posts: [] } })),
      {
        timeoutMs: 50,
      },
    );
    const result = await fetchPage('likes', 1, options);
    expect(result.attempts).toBe(2);
    expect(retries[0]?.reason).toBe('no response within 50 ms');
  });

  it('waits what Retry-After asks on a 429, capped by maxRetryAfterMs', async () => {
    const { options, retries } = await serve(
      sequence([{ status: 429, headers: { 'retry-after': '1' } }], () => ({ json: { posts: [] } })),
      { maxRetryAfterMs: 7 },
    );
    await fetchPage('inspires', 1, options);
    expect(retries).toEqual([expect.objectContaining({ status: 429, retryAfterMs: 1000, delayMs: 7 })]);
  });

  it('honours a Retry-After given as an HTTP date and under the cap', async () => {
    const { options, retries } = await serve(
      sequence([{ status: 503, headers: { 'retry-after': new Date(0).toUTCString() } }], () => ({
        json: { posts: [] },
      })),
      { maxRetryAfterMs: 60_000 },
    );
    await fetchPage('views', 1, options);
    expect(retries).toEqual([expect.objectContaining({ status: 503, retryAfterMs: 0, delayMs: 0 })]);
  });

  it('backs off exponentially with full jitter within the configured bounds', async () => {
    const { options, retries } = await serve(() => ({ status: 500 }), {
      retries: 5,
      minRetryDelayMs: 2,
      maxRetryDelayMs: 10,
    });
    await failure(fetchPage('views', 1, options));
    const ceilings = [2, 4, 8, 10, 10];
    expect(retries).toHaveLength(5);
    retries.forEach((info, k) => {
      expect(info.delayMs).toBeGreaterThanOrEqual(0);
      expect(info.delayMs).toBeLessThanOrEqual(ceilings[k]!);
    });
  });

  it('gives up after the configured retries with a message naming endpoint, page and cause', async () => {
    const { stub, options } = await serve(() => ({ status: 503 }), { retries: 2 });
    const error = await failure(fetchPage('views', 4, options));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).toBe('GET /posts/view page 4: HTTP 503 Service Unavailable after 3 attempts');
    expect(stub.requests).toHaveLength(3);
  });

  it('retries a truncated JSON body, then reports it as malformed with endpoint, page and cause', async () => {
    const { stub, options } = await serve(() => ({ raw: '{"posts": [{"id": 1, "post_id": 2},' }), {
      retries: 5,
    });
    const error = await failure(fetchPage('views', 3, options));
    expect(error.code).toBe('upstream_malformed');
    expect(error.message).toBe(
      'GET /posts/view page 3: body is not valid JSON (Unexpected end of JSON input) after 6 attempts',
    );
    expect(stub.requests).toHaveLength(6);
  });

  it('reports a body of the wrong shape as malformed, saying what it got', async () => {
    const { options } = await serve(() => ({ json: { data: [], total: 0 } }), { retries: 0 });
    const error = await failure(fetchPage('likes', 1, options));
    expect(error.code).toBe('upstream_malformed');
    expect(error.message).toBe(
      'GET /posts/like page 1: body has no "posts" array (no "posts" key; keys: data, total) after 1 attempt',
    );
  });

  it('accepts a malformed page that comes right on a retry', async () => {
    const { options } = await serve(
      sequence([{ json: { posts: 'oops' } }], () => ({ json: { posts: viewRecords(2) } })),
    );
    const result = await fetchPage('views', 1, options);
    expect(result).toMatchObject({ attempts: 2, invalid: [] });
  });
});

describe('fetchPage failures that are not retried', () => {
  it('fails at once on 401 with a message that names FLIC_TOKEN but never contains the token', async () => {
    const { stub, options, retries } = await serve(() => ({ status: 401, raw: `bad token ${TOKEN}` }));
    const error = await failure(fetchPage('users', 1, options));
    expect(stub.requests).toHaveLength(1);
    expect(retries).toEqual([]);
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe(
      'GET /users/get_all page 1: HTTP 401 Unauthorized: the upstream API rejected the Flic-Token; check FLIC_TOKEN',
    );
    expectNoToken(error);
  });

  it('says that no token was sent when FLIC_TOKEN is not set', async () => {
    const { options } = await serve(() => ({ status: 403 }));
    const error = await failure(fetchPage('posts', 1, { ...options, token: undefined }));
    expect(error.message).toMatch(/HTTP 403 Forbidden: no Flic-Token was sent; set FLIC_TOKEN$/);
  });

  it('fails at once on 404 pointing at API_BASE_URL and on 400 quoting the server', async () => {
    const { stub, options } = await serve(({ path }) =>
      path === '/posts/view'
        ? { status: 404 }
        : { status: 400, raw: `{"message": "page_size too large ${TOKEN}"}` },
    );
    const notFound = await failure(fetchPage('views', 1, options));
    expect(notFound.message).toBe(
      `GET /posts/view page 1: HTTP 404 Not Found at ${stub.baseUrl}/posts/view; check API_BASE_URL`,
    );
    const badRequest = await failure(fetchPage('users', 2, options));
    expect(badRequest.message).toBe(
      'GET /users/get_all page 2: HTTP 400 Bad Request (not retried): {"message": "page_size too large [REDACTED]"}',
    );
    expect(stub.requests).toHaveLength(2);
  });

  it('keeps the token out of errors and retry reports when the network keeps failing', async () => {
    const { options, retries } = await serve(() => ({ destroy: true }), { retries: 2 });
    const error = await failure(fetchPage('users', 1, options));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).toMatch(/^GET \/users\/get_all page 1: network error: .* after 3 attempts$/);
    expectNoToken(error);
    expectNoToken(retries);
  });

  it('stops promptly with the signal reason when aborted during a request', async () => {
    const controller = new AbortController();
    const { stub, options } = await serve(() => ({ hang: true }), {
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    const pending = fetchPage('views', 1, options);
    while (stub.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const reason = new Error('interrupted');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await stub.requests[0]!.closed;
  });

  it('stops promptly with the signal reason when aborted while waiting to retry', async () => {
    const controller = new AbortController();
    const { stub, options, retries } = await serve(
      () => ({ status: 429, headers: { 'retry-after': '600' } }),
      {
        maxRetryAfterMs: 600_000,
        signal: controller.signal,
      },
    );
    const pending = fetchPage('views', 1, options);
    while (retries.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(retries[0]?.delayMs).toBe(600_000);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(stub.requests).toHaveLength(1);
  });
});

describe('injected fetch', () => {
  it('sends every request through the fetch given in the options', async () => {
    const { options } = await serve(() => ({ json: { posts: viewRecords(1) } }));
    const seen: string[] = [];
    const result = await fetchPage('views', 2, {
      ...options,
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    expect(result.records).toHaveLength(1);
    expect(seen).toEqual([`${options.baseUrl}/posts/view?page=2&page_size=10`]);
  });
});

describe('createUpstreamClient', () => {
  it('binds validated options so callers fetch pages by source and number', async () => {
    const { options } = await serve(() => ({ json: { posts: viewRecords(2) } }));
    const client = createUpstreamClient(options);
    expect(client.options.concurrency).toBe(4);
    const result = await client.fetchPage('views', 1);
    expect(result.records).toHaveLength(2);
  });
});

describe('retry policy', () => {
  it('reads Retry-After as seconds or as an HTTP date, and ignores anything else', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('draws the backoff uniformly up to the doubled ceiling, never past the cap', () => {
    expect(backoffDelay(0, 250, 10_000, () => 1)).toBe(250);
    expect(backoffDelay(3, 250, 10_000, () => 1)).toBe(2000);
    expect(backoffDelay(10, 250, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelay(3, 250, 10_000, () => 0)).toBe(0);
    expect(backoffDelay(2, 250, 10_000, () => 0.5)).toBe(500);
  });
});
