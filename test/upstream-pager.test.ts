// The pager against a real HTTP server on 127.0.0.1: order, concurrency, end of data, failures, aborts.
import { afterEach, describe, expect, it } from 'vitest';
import { FeedError } from '../src/shared/errors.js';
import {
  type PageResult,
  pages,
  type SourceName,
  type UpstreamClientOptions,
} from '../src/upstream/index.js';
import {
  pagedHandler,
  type StubHandler,
  startUpstreamStub,
  type UpstreamStub,
  viewRecords,
} from './support/upstream-stub.js';

let stub: UpstreamStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function serve(handler: StubHandler, extra: Partial<UpstreamClientOptions> = {}) {
  stub = await startUpstreamStub(handler);
  const options: UpstreamClientOptions = {
    baseUrl: stub.baseUrl,
    pageSize: 10,
    retries: 2,
    minRetryDelayMs: 1,
    maxRetryDelayMs: 2,
    concurrency: 4,
    ...extra,
  };
  return { stub, options };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Answers page n after a delay that makes later pages tend to arrive first. */
function outOfOrder(handler: StubHandler): StubHandler {
  return async (request) => {
    await pause(((request.page * 7) % 5) * 3);
    return handler(request);
  };
}

/** Drains the generator, keeping the pages yielded before any error. */
async function collect<S extends SourceName>(iterator: AsyncGenerator<PageResult<S>>) {
  const seen: PageResult<S>[] = [];
  try {
    for await (const page of iterator) seen.push(page);
    return { seen, error: undefined };
  } catch (error) {
    return { seen, error };
  }
}

describe('pages', () => {
  it('yields every page in order up to the empty page, with several requests in flight', async () => {
    const records = viewRecords(95);
    let inFlight = 0;
    let peak = 0;
    const { stub, options } = await serve(async (request) => {
      peak = Math.max(peak, ++inFlight);
      await pause(((request.page * 7) % 5) * 3);
      inFlight--;
      return pagedHandler('posts', records)(request);
    });
    const { seen, error } = await collect(pages('views', options));
    expect(error).toBeUndefined();
    expect(seen.map((p) => p.page)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen.flatMap((p) => p.records.map((r) => r.id))).toEqual(records.map((r) => r.id));
    expect(seen.at(-1)?.records).toHaveLength(5);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(4);
    // The empty page 11 ends it; at most `concurrency` requests can have been started past the last page.
    expect(Math.max(...stub.requests.map((r) => r.page))).toBeLessThanOrEqual(11 + 3);
  });

  it('yields nothing for an endpoint whose first page is empty', async () => {
    const { options } = await serve(pagedHandler('users', []));
    const { seen, error } = await collect(pages('users', options));
    expect(error).toBeUndefined();
    expect(seen).toEqual([]);
  });

  it('resumes from startPage', async () => {
    const { stub, options } = await serve(outOfOrder(pagedHandler('posts', viewRecords(50))));
    const { seen } = await collect(pages('likes', { ...options, startPage: 3 }));
    expect(seen.map((p) => p.page)).toEqual([3, 4, 5]);
    expect(Math.min(...stub.requests.map((r) => r.page))).toBe(3);
  });

  it('does not run more than `concurrency` pages ahead of a consumer that stops pulling', async () => {
    const { stub, options } = await serve(pagedHandler('posts', viewRecords(1000)), { concurrency: 3 });
    const iterator = pages('views', options);
    const first = await iterator.next();
    expect(first.value?.page).toBe(1);
    await pause(50);
    // Page 1 plus the three refilled while the consumer holds it.
    expect(stub.requests.length).toBeLessThanOrEqual(4);
    await iterator.return();
  });

  it('keeps a page whose records are all invalid: only an empty list ends the endpoint', async () => {
    const { options } = await serve(({ page }) => ({
      json: { posts: page === 1 ? [{ id: 'x' }] : page === 2 ? viewRecords(1) : [] },
    }));
    const { seen } = await collect(pages('views', options));
    expect(seen.map((p) => [p.page, p.records.length, p.invalid.length])).toEqual([
      [1, 0, 1],
      [2, 1, 0],
    ]);
  });

  it('yields every page before a page that stays malformed, then fails naming endpoint, page and cause', async () => {
    const records = viewRecords(80);
    const { options } = await serve(
      outOfOrder((request) =>
        request.page === 3 ? { raw: '{"posts": [' } : pagedHandler('posts', records)(request),
      ),
    );
    const { seen, error } = await collect(pages('views', options));
    expect(seen.map((p) => p.page)).toEqual([1, 2]);
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).code).toBe('upstream_malformed');
    expect((error as FeedError).message).toBe(
      'GET /posts/view page 3: body is not valid JSON (Unexpected end of JSON input) after 3 attempts',
    );
  });

  it('ignores failures of requests past the empty page', async () => {
    const { options } = await serve(async ({ page }) => {
      if (page <= 2) return { json: { posts: viewRecords(10, page * 10) } };
      if (page === 3) {
        await pause(20);
        return { json: { posts: [] } };
      }
      return { status: 404 };
    });
    const { seen, error } = await collect(pages('views', options));
    expect(error).toBeUndefined();
    expect(seen.map((p) => p.page)).toEqual([1, 2]);
  });

  it('fails fast on a 401 after yielding the pages before it', async () => {
    const { options } = await serve(async ({ page }) => {
      if (page === 1) {
        await pause(20);
        return { json: { users: [{ id: 1 }] } };
      }
      return { status: 401 };
    });
    const { seen, error } = await collect(pages('users', { ...options, token: 'pager-secret-token' }));
    expect(seen.map((p) => p.page)).toEqual([1]);
    expect((error as FeedError).code).toBe('unauthorized');
    expect(String((error as Error).message)).not.toContain('pager-secret-token');
  });

  it('stops promptly with the signal reason on abort and cancels the requests in flight', async () => {
    const controller = new AbortController();
    const { stub, options } = await serve(
      ({ page }) => (page === 1 ? { json: { posts: viewRecords(10) } } : { hang: true }),
      { timeoutMs: 60_000, signal: controller.signal },
    );
    const iterator = pages('views', options);
    expect((await iterator.next()).value?.page).toBe(1);
    while (stub.requests.length < 5) await pause(2);
    const pending = iterator.next();
    const reason = new Error('Ctrl-C');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await Promise.all(stub.requests.map((r) => r.closed));
    expect((await iterator.next()).done).toBe(true);
  });

  it('cancels the requests in flight when the consumer stops early', async () => {
    const { stub, options } = await serve(({ page }) =>
      page === 1 ? { json: { posts: viewRecords(10) } } : { hang: true },
    );
    for await (const page of pages('views', { ...options, timeoutMs: 60_000 })) {
      expect(page.page).toBe(1);
      // Page 1 and the four refilled behind it (pages 2..5) all reach the server before we stop.
      while (stub.requests.length < 5) await pause(2);
      break;
    }
    // Every hung request is closed by the client, not left to time out.
    await Promise.all(stub.requests.map((r) => r.closed));
  });

  it('rejects at once when the signal is already aborted', async () => {
    const { stub, options } = await serve(pagedHandler('posts', viewRecords(10)));
    const reason = new Error('already stopped');
    const { seen, error } = await collect(pages('views', { ...options, signal: AbortSignal.abort(reason) }));
    expect(seen).toEqual([]);
    expect(error).toBe(reason);
    expect(stub.requests).toHaveLength(0);
  });
});

describe('pages with many requests in flight', () => {
  it('runs 32 pages at once without listener-leak warnings', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const { options } = await serve(outOfOrder(pagedHandler('posts', viewRecords(400))), {
        concurrency: 32,
      });
      const { seen, error } = await collect(pages('views', options));
      expect(error).toBeUndefined();
      expect(seen).toHaveLength(40);
      await pause(10);
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
