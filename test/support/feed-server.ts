// Test support for the feed service suites: a real SQLite file synced from the simulator over HTTP, and
// the real app listening on an ephemeral loopback port with its model built in worker threads.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../src/server/app.js';
import { ModelHolder, type ModelHolderOptions } from '../../src/server/model-holder.js';
import { type GenerateOptions, type RunningSimulator, startSimulator } from '../../src/simulator/index.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { runSync } from '../../src/sync/sync.js';

export const TOKEN = 'test-flic-token';

/** The keys of a feed post object, in the order api-contract.md lists them (/feed and the discovery lists). */
export const FEED_POST_KEYS = [
  'id',
  'owner',
  'category',
  'topic',
  'title',
  'is_available_in_public_feed',
  'is_locked',
  'slug',
  'upvoted',
  'bookmarked',
  'following',
  'identifier',
  'comment_count',
  'upvote_count',
  'view_count',
  'exit_count',
  'rating_count',
  'average_rating',
  'share_count',
  'bookmark_count',
  'video_link',
  'thumbnail_url',
  'gif_thumbnail_url',
  'contract_address',
  'chain_id',
  'chart_url',
  'baseToken',
  'created_at',
  'tags',
];

export interface SyncedDatabase {
  dir: string;
  path: string;
  simulator: RunningSimulator;
  cleanup(): Promise<void>;
}

/** Syncs every source of `store` from `simulator` (the test token, pages of 500); throws if any failed. */
export async function syncFromSimulator(store: Store, simulator: RunningSimulator): Promise<void> {
  const report = await runSync({
    store,
    upstream: { baseUrl: simulator.url, token: TOKEN, pageSize: 500 },
  });
  if (!report.ok) throw new Error(`test sync failed: ${JSON.stringify(report.sources)}`);
}

/** A temp folder with `data.db` synced from a running simulator (which stays up for later syncs). */
export async function syncedDatabase(generate: GenerateOptions = {}): Promise<SyncedDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'feed-server-test-'));
  const path = join(dir, 'data.db');
  const simulator = await startSimulator({ generate: { seed: 7, ...generate }, token: TOKEN });
  const store = await openStore(path);
  try {
    await syncFromSimulator(store, simulator);
  } finally {
    await store.close();
  }
  return {
    dir,
    path,
    simulator,
    async cleanup() {
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The posts `userId` interacted with in the store: synced views, likes, inspires, ratings and received events. */
export async function interactedPosts(store: Store, userId: number): Promise<Set<number>> {
  const seen = new Set<number>();
  // The interaction tables share user_id/post_id; one typed name reads them all.
  for (const table of ['PostView', 'PostLike', 'PostInspire', 'PostRating', 'FeedEvent'] as const) {
    const rows = await store.db
      .selectFrom(table as 'PostView')
      .select('post_id')
      .where('user_id', '=', userId)
      .execute();
    for (const r of rows) seen.add(Number(r.post_id));
  }
  return seen;
}

/** A parsed response body: tests read into it freely and their assertions check it. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions, not the type, check the response shape
export type Body = any;

export interface Response {
  status: number;
  body: Body;
  text: string;
}

export interface TestServer {
  url: string;
  app: FastifyInstance;
  store: Store;
  model: ModelHolder;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  app?: Partial<Omit<AppOptions, 'store' | 'model'>>;
  model?: Partial<ModelHolderOptions>;
  /** Build the first model before listening (default true). */
  buildFirst?: boolean;
  /** Interface to listen on (default 127.0.0.1); requests go to 127.0.0.1 either way. */
  host?: string;
}

async function request(url: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

/** The app over `dbPath`, listening on 127.0.0.1:0. */
export async function startTestServer(dbPath: string, options: TestServerOptions = {}): Promise<TestServer> {
  const store = await openStore(dbPath);
  const model = new ModelHolder({ source: { kind: 'database', url: dbPath }, ...options.model });
  if (options.buildFirst !== false) await model.start();
  const app = await buildApp({ store, model, processMetrics: false, ...options.app });
  await app.listen({ host: options.host ?? '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    app,
    store,
    model,
    get: (path, headers = {}) => request(url + path, { headers }),
    post: (path, body, headers = {}) =>
      request(
        url + path,
        body === undefined
          ? { method: 'POST', headers }
          : {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...headers },
              body: typeof body === 'string' ? body : JSON.stringify(body),
            },
      ),
    async close() {
      await app.close();
      await model.close();
      await store.close();
    },
  };
}

/** Polls `check` every 50 ms until it returns a value other than undefined (or fails after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a response text carries anything like a stack trace or a source location. */
export function leaksInternals(text: string): boolean {
  return /\bat [^ ]+ \(|node:internal|\.[tj]s:\d+|\/work\/|node_modules/.test(text);
}
