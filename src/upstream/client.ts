// The upstream client bound to one set of options: validated once, token registered as a secret.
import {
  type ResolvedClientOptions,
  resolveClientOptions,
  type UpstreamClientOptions,
} from './client-options.js';
import { type PageResult, requestPage } from './fetch-page.js';
import { pages } from './pager.js';
import type { SourceName } from './sources.js';

export interface UpstreamClient {
  /** The validated options, defaults filled in. */
  readonly options: ResolvedClientOptions;
  /** Fetches one page; `signal` (default: the client's) aborts it. */
  fetchPage<S extends SourceName>(source: S, page: number, signal?: AbortSignal): Promise<PageResult<S>>;
  /** Pages through `source` from `startPage` (default 1) to its first empty page; see `pages`. */
  pages<S extends SourceName>(
    source: S,
    options?: { startPage?: number; signal?: AbortSignal },
  ): AsyncGenerator<PageResult<S>, void, undefined>;
}

/**
 * Creates a client for the upstream API. Options are checked here (a `FeedError` 'config_invalid'
 * names the bad one) and the token is registered with `redact` before any request is made.
 *
 * @example
 * const client = createUpstreamClient({ baseUrl: env.API_BASE_URL, token: env.FLIC_TOKEN });
 * for await (const page of client.pages('users')) store.upsertUsers(page.records);
 */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const resolved = resolveClientOptions(options);
  return {
    options: resolved,
    fetchPage: (source, page, signal = resolved.signal) => requestPage(source, page, resolved, signal),
    pages: (source, { startPage, signal } = {}) =>
      pages(source, signal === undefined ? { ...resolved, startPage } : { ...resolved, signal, startPage }),
  };
}
