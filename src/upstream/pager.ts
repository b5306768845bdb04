// Pages through one endpoint with several requests in flight, yielding pages strictly in order.
import { setMaxListeners } from 'node:events';
import { FeedError } from '../shared/errors.js';
import {
  type ResolvedClientOptions,
  resolveClientOptions,
  type UpstreamClientOptions,
} from './client-options.js';
import { type PageResult, requestPage } from './fetch-page.js';
import type { SourceName } from './sources.js';

export type PagesOptions = (UpstreamClientOptions | ResolvedClientOptions) & {
  /** First page to request, 1-based (a resumed sync starts after its checkpoint). Default 1. */
  startPage?: number;
};

type Settled<S extends SourceName> = { ok: true; value: PageResult<S> } | { ok: false; error: unknown };

/** Why the pager cancels its own requests; never surfaces to the caller. */
const STOPPED = new Error('pager stopped');

/**
 * Yields `source`'s pages from `startPage` on, in page order, until the first empty page (not yielded).
 *
 * Up to `concurrency` pages are requested at once, and never more than `concurrency` pages ahead of
 * the consumer: requests are only started when the consumer asks for the next page, so a slow store
 * slows the fetching instead of piling pages up in memory. The first failing page ends the generator
 * with its error, after every page before it has been yielded (so those can be stored). Requests past
 * the end, or still running when the consumer stops early, are aborted. An abort through `signal`
 * rejects the pending `next()` promptly with the signal's reason.
 *
 * @example for await (const page of pages('views', { baseUrl, startPage: 1 })) await store.write(page.records);
 */
export async function* pages<S extends SourceName>(
  source: S,
  options: PagesOptions,
): AsyncGenerator<PageResult<S>, void, undefined> {
  const { startPage = 1 } = options;
  if (!Number.isSafeInteger(startPage) || startPage < 1) {
    throw new FeedError('bad_request', `startPage must be a positive integer, got ${String(startPage)}`);
  }
  const resolved = resolveClientOptions(options);
  const outer = resolved.signal;
  outer?.throwIfAborted();

  // Our own controller: stopping the pager cancels its requests without aborting the caller's signal.
  const controller = new AbortController();
  // Each page in flight listens on it (request or retry wait); more than 10 would print a leak warning.
  setMaxListeners(resolved.concurrency + 10, controller.signal);
  const onOuterAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });

  const inFlight = new Map<number, Promise<Settled<S>>>();
  let nextToRequest = startPage;
  const fill = () => {
    while (inFlight.size < resolved.concurrency) {
      const page = nextToRequest++;
      // Settled wrappers: a page that fails while an earlier one is awaited must not be an unhandled rejection.
      const settled = requestPage(source, page, resolved, controller.signal).then(
        (value): Settled<S> => ({ ok: true, value }),
        (error: unknown): Settled<S> => ({ ok: false, error }),
      );
      inFlight.set(page, settled);
    }
  };

  try {
    for (let page = startPage; ; page++) {
      fill();
      const settled = await untilAborted(inFlight.get(page)!, outer);
      inFlight.delete(page);
      if (!settled.ok) {
        // An abort of the caller's signal surfaces as its reason, whatever the request saw.
        if (outer?.aborted) throw outer.reason;
        throw settled.error;
      }
      const result = settled.value;
      if (result.records.length === 0 && result.invalid.length === 0) return;
      // Refill before handing the page over, so that `concurrency` requests run while the consumer works.
      fill();
      yield result;
      outer?.throwIfAborted();
    }
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
    if (!controller.signal.aborted) controller.abort(STOPPED);
  }
}

/**
 * Waits for a page, or for the caller's abort if that comes first, so the pager answers an abort
 * promptly even if an injected `fetch` ignores its signal. Not `Promise.race` with one long-lived
 * abort promise: every race would leave a reaction on it holding that page until the sync ends.
 */
function untilAborted<S extends SourceName>(
  settled: Promise<Settled<S>>,
  signal: AbortSignal | undefined,
): Promise<Settled<S>> {
  if (!signal) return settled;
  return new Promise((resolve) => {
    const onAbort = () => resolve({ ok: false, error: signal.reason });
    signal.addEventListener('abort', onAbort, { once: true });
    void settled.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}
