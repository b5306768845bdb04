// Sync end to end: the simulator over real HTTP on 127.0.0.1 into a real SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/shared/logger.js';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.js';
import { openStore } from '../src/store/open.js';
import {
  fetchPostInspiresIds,
  fetchPostLikesIds,
  fetchPostRatingsIdsAndRating,
  fetchPostViewsIds,
  loadAllPosts,
  loadPostSummaries,
  loadUsers,
} from '../src/store/queries.js';
import type { Store, TableName } from '../src/store/types.js';
import { runSync, type SyncOptions } from '../src/sync/sync.js';
import type { SourceName } from '../src/upstream/sources.js';

const TOKEN = 'sim-token-7f3a9c1e';
const SIZE = { users: 300, posts: 80, interactions: 6000, seed: 7 };
const TABLE_OF: Record<SourceName, TableName> = {
  users: 'User',
  posts: 'Post',
  views: 'PostView',
  likes: 'PostLike',
  inspires: 'PostInspire',
  ratings: 'PostRating',
};

let dir: string;
let simulator: RunningSimulator;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ev-sync-'));
  simulator = await startSimulator({ generate: SIZE, token: TOKEN });
  store = await openStore(join(dir, 'data.db'));
});

afterEach(async () => {
  await store.close();
  await simulator.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Fast retries so fault tests take milliseconds, not seconds. */
const sync = (
  options: Omit<Partial<SyncOptions>, 'upstream'> & { upstream?: Partial<SyncOptions['upstream']> } = {},
) => runSync({ store, ...options, upstream: { ...baseUpstream(), ...options.upstream } });

async function tableCounts(): Promise<Record<SourceName, number>> {
  const { tables } = await store.stats();
  return Object.fromEntries(Object.entries(TABLE_OF).map(([s, t]) => [s, tables[t]])) as Record<
    SourceName,
    number
  >;
}

describe('sync from the simulated API into SQLite', () => {
  it('stores exactly the records the simulator served, and a PostSummary per post', async () => {
    const report = await sync();
    expect(report.ok).toBe(true);
    expect(await tableCounts()).toEqual(simulator.expectedValidCounts());
    const { tables } = await store.stats();
    expect(tables.PostSummary).toBe(simulator.count('posts'));
    const summaries = await loadPostSummaries(store);
    expect(summaries.summaries[0]).toMatchObject({
      post_id: expect.any(Number),
      summary: expect.any(String),
    });
  });

  it('changes nothing on a second sync', async () => {
    await sync();
    const before = await tableCounts();
    const second = await sync();
    expect(second.ok).toBe(true);
    for (const source of second.sources)
      expect({ source: source.source, changed: source.changed }).toEqual({
        source: source.source,
        changed: 0,
      });
    expect(await tableCounts()).toEqual(before);
  });

  it('updates rows whose upstream record changed, and their summaries', async () => {
    await sync();
    const { posts } = await loadAllPosts(store, { limit: 1 });
    const post = posts[0]!;
    simulator.updateRecords('posts', [
      { ...post, title: 'A brand new title', post_summary: { description: 'rewritten summary' } },
    ]);
    const { users } = await loadUsers(store, { limit: 1 });
    simulator.updateRecords('users', [{ ...users[0], bio: 'updated bio' }]);
    const report = await sync();
    const changed = Object.fromEntries(report.sources.map((s) => [s.source, s.changed]));
    expect(changed).toMatchObject({ users: 1, posts: 1, views: 0, likes: 0, summaries: 1 });
    expect((await loadAllPosts(store, { limit: 1 })).posts[0]?.title).toBe('A brand new title');
    expect((await loadUsers(store, { limit: 1 })).users[0]?.bio).toBe('updated bio');
    const summary = (await loadPostSummaries(store, { limit: 1 })).summaries[0];
    expect(summary?.summary).toBe('rewritten summary');
  });

  it('survives 500s, 429s with Retry-After, dropped connections and slow pages with exact counts', async () => {
    simulator.setFaults({
      errorRate: 0.15,
      rateLimitRate: 0.1,
      retryAfterSeconds: 1,
      resetRate: 0.05,
      slowRate: 0.05,
      slowMs: 3000,
    });
    const report = await sync({ upstream: { ...baseUpstream(), timeoutMs: 500 } });
    expect(report.sources.map((s) => [s.source, s.status, s.error])).toEqual(
      report.sources.map((s) => [s.source, 'complete', undefined]),
    );
    const faults = simulator.stats().faults;
    expect(faults.error).toBeGreaterThan(0);
    expect(faults.rateLimit).toBeGreaterThan(0);
    expect(faults.reset).toBeGreaterThan(0);
    expect(faults.slow).toBeGreaterThan(0);
    expect(await tableCounts()).toEqual(simulator.expectedValidCounts());
  });

  it('stores duplicated records across pages once', async () => {
    simulator.setFaults({ duplicateRate: 0.5 });
    await sync();
    expect(simulator.stats().faults.duplicateRecords).toBeGreaterThan(0);
    expect(await tableCounts()).toEqual(simulator.expectedValidCounts());
  });

  it('retries a page that is malformed once and stores it', async () => {
    simulator.setFaults({ malformedPages: [{ source: 'views', page: 2, times: 1, kind: 'truncated-json' }] });
    const report = await sync();
    expect(report.ok).toBe(true);
    expect(await tableCounts()).toEqual(simulator.expectedValidCounts());
  });

  it('stops only the endpoint whose page stays malformed, naming endpoint, page and cause, keeping earlier pages', async () => {
    simulator.setFaults({
      malformedPages: [{ source: 'likes', page: 3, times: 'always', kind: 'wrong-shape' }],
    });
    const report = await sync();
    expect(report.ok).toBe(false);
    const likes = report.sources.find((s) => s.source === 'likes')!;
    expect(likes.status).toBe('failed');
    expect(likes.error).toMatch(/\/posts\/like/);
    expect(likes.error).toMatch(/page 3/);
    expect(likes.pages).toBe(2);
    expect((await tableCounts()).likes).toBe(100);
    for (const s of report.sources.filter((r) => r.source !== 'likes')) expect(s.status).toBe('complete');
    // Once the upstream is healthy the next run resumes at the failed page and completes.
    simulator.setFaults({});
    const again = await sync();
    expect(again.sources.find((s) => s.source === 'likes')).toMatchObject({
      status: 'complete',
      startPage: 3,
    });
    expect(await tableCounts()).toEqual(simulator.expectedValidCounts());
  });

  it('skips invalid records and reports their count and first reasons with page', async () => {
    simulator.setFaults({
      invalidRecords: [
        { source: 'views', index: 3 },
        { source: 'views', index: 120 },
        { source: 'users', index: 0 },
      ],
    });
    const report = await sync();
    const views = report.sources.find((s) => s.source === 'views')!;
    expect(views.invalid).toBe(2);
    expect(views.invalidSamples.map((s) => s.page)).toEqual([1, 3]);
    expect(views.invalidSamples[0]?.reason).toMatch(/\w+: /);
    expect(report.sources.find((s) => s.source === 'users')?.invalid).toBe(1);
    expect(await tableCounts()).toEqual(simulator.expectedValidCounts());
  });

  it('with ifEmpty, fills an empty database and leaves a populated one alone', async () => {
    const first = await sync({ ifEmpty: true });
    expect(first.skipped).toBeUndefined();
    expect((await tableCounts()).users).toBe(SIZE.users);
    const second = await sync({ ifEmpty: true });
    expect(second.skipped).toMatch(/already has 300 users/);
    expect(second.sources).toEqual([]);
  });

  it('limits the run to the sources named in only', async () => {
    const report = await sync({ only: ['users', 'likes'] });
    expect(report.sources.map((s) => s.source)).toEqual(['users', 'likes']);
    const counts = await tableCounts();
    expect(counts).toMatchObject({ users: SIZE.users, posts: 0, views: 0 });
    expect(counts.likes).toBe(simulator.count('likes'));
  });

  it('never writes the Flic-Token into a log line or an error, even when it is rejected', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'debug', destination: sink });
    simulator.setFaults({ errorRate: 0.2, malformedPages: [{ source: 'posts', page: 1, times: 'always' }] });
    const report = await sync({ logger });
    const wrongToken = `${TOKEN}-wrong`;
    const rejected = await runSync({
      store,
      upstream: { ...baseUpstream(), token: wrongToken },
      only: ['users'],
      logger,
    });
    expect(rejected.sources[0]?.error).toMatch(/Flic-Token/);
    const everything = lines.join('') + JSON.stringify(report) + JSON.stringify(rejected);
    expect(lines.length).toBeGreaterThan(0);
    expect(everything).not.toContain(TOKEN);
  });

  it('leaves query functions returning the contract shapes over synced data', async () => {
    await sync();
    const likes = await fetchPostLikesIds(store, { limit: 2 });
    expect(Object.keys(likes)).toEqual(['likes']);
    expect(Object.keys(likes.likes[0]!).sort()).toEqual(['post_id', 'user_id']);
    expect(Object.keys((await fetchPostViewsIds(store, { limit: 1 })).views[0]!).sort()).toEqual([
      'post_id',
      'user_id',
    ]);
    expect(Object.keys((await fetchPostInspiresIds(store, { limit: 1 })).inspires[0]!).sort()).toEqual([
      'post_id',
      'user_id',
    ]);
    expect(Object.keys((await fetchPostRatingsIdsAndRating(store, { limit: 1 })).ratings[0]!).sort()).toEqual(
      ['post_id', 'rating_percent', 'user_id'],
    );
  });
});

function baseUpstream() {
  return {
    baseUrl: simulator.url,
    token: TOKEN,
    pageSize: 50,
    concurrency: 3,
    retries: 6,
    minRetryDelayMs: 1,
    maxRetryDelayMs: 5,
    maxRetryAfterMs: 5,
    timeoutMs: 2000,
  };
}
