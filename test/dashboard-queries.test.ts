// The dashboard's store queries, run once per dialect: the sync and eval run history (migration 0004),
// interactions of a user or post across the platform tables and FeedEvent, per-day counts, posts per
// category, the popularity tail and co-interaction neighbours — against hand-built data with known answers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { popularityTail, postsPerCategory } from '../src/server/dashboard/data/distributions.js';
import {
  countsByKind,
  interactionsOf,
  interactionsPerDay,
} from '../src/server/dashboard/data/interactions.js';
import { coInteractionNeighbours, postDetail } from '../src/server/dashboard/data/post-detail.js';
import { CatalogueFigures, FIGURE_QUERIES, type FigureName } from '../src/server/dashboard/figures.js';
import { latestEvalRun, recordEvalRun } from '../src/store/eval-runs.js';
import { insertFeedEvent } from '../src/store/feed-events.js';
import { openStore } from '../src/store/open.js';
import { listSyncRuns, recordSyncRun } from '../src/store/sync-runs.js';
import type { Store } from '../src/store/types.js';
import type { SourceName, SourceRecords } from '../src/upstream/sources.js';
import { like, post, rating, StoreFactory, storeBackends, user, view } from './support/store-backends.js';

const backends = await storeBackends();

function write(store: Store, source: SourceName, records: object[]) {
  return store.writePage(source, records as SourceRecords[typeof source][], { page: 1, pageSize: 100 });
}

const category = (name: string) => ({ id: 1, name, count: 0, description: '', image_url: '' });

/** Users 1–3, posts 10–13 (two Food, one Tech, one without category) and their interactions. */
async function seed(store: Store): Promise<void> {
  await write(store, 'users', [user(1), user(2), user(3)]);
  await write(store, 'posts', [
    post(10, { category: category('Food') }),
    post(11, { category: category('Food') }),
    post(12, { category: category('Tech') }),
    post(13, { category: null }),
  ]);
  await write(store, 'views', [
    view(1, 1, 10, '2024-01-01 08:00:00'),
    view(2, 2, 10, '2024-01-01 09:00:00'),
    view(3, 3, 10, '2024-01-03 09:00:00'),
    view(4, 1, 11, '2024-01-03 10:00:00'),
    view(5, 2, 11, '2024-01-03 11:00:00'),
    view(6, 9, 99, '2024-01-03 12:00:00'),
  ]);
  await write(store, 'likes', [like(1, 1, 10, '2024-01-02 08:00:00'), like(2, 3, 12, '2024-01-02 09:00:00')]);
  await write(store, 'ratings', [{ ...rating(1, 2, 12, 80), rated_at: '2024-01-03 13:00:00' }]);
  await insertFeedEvent(store, {
    user_id: 1,
    post_id: 12,
    type: 'like',
    at: new Date('2024-02-01T00:00:00Z'),
  });
}

describe.each(backends)('dashboard queries on $dialect', ({ dialect, skipReason }) => {
  const factory = new StoreFactory(dialect);
  afterEach(() => factory.cleanup());

  describe.skipIf(skipReason !== null)('run history', () => {
    it('stores sync runs with their totals and reads them newest first', async () => {
      const store = await factory.open();
      const startedAt = new Date('2024-05-01T10:00:00.000Z');
      const first = await recordSyncRun(store.db, {
        trigger: 'cli',
        status: 'complete',
        startedAt,
        finishedAt: new Date('2024-05-01T10:00:02.500Z'),
        sources: [
          {
            source: 'users',
            status: 'complete',
            pages: 2,
            records: 150,
            changed: 150,
            invalid: 1,
            durationMs: 900,
          },
          {
            source: 'posts',
            status: 'complete',
            pages: 1,
            records: 40,
            changed: 3,
            invalid: 0,
            durationMs: 600,
          },
        ],
      });
      const second = await recordSyncRun(store.db, {
        trigger: 'admin',
        status: 'failed',
        startedAt,
        finishedAt: startedAt,
        sources: [
          {
            source: 'users',
            status: 'failed',
            pages: 0,
            records: 0,
            changed: null,
            invalid: 0,
            durationMs: null,
            error: 'upstream 502',
          },
        ],
        error: 'sync process exited unexpectedly (signal SIGKILL)',
      });
      const runs = await listSyncRuns(store.db);
      expect(runs.map((r) => r.id)).toEqual([second, first]);
      expect(runs[1]).toMatchObject({
        trigger: 'cli',
        status: 'complete',
        startedAt: '2024-05-01T10:00:00.000Z',
        durationMs: 2500,
        records: 190,
        changed: 153,
        invalid: 1,
        errors: 0,
        error: null,
      });
      expect(runs[1]!.sources[1]).toEqual({
        source: 'posts',
        status: 'complete',
        pages: 1,
        records: 40,
        changed: 3,
        invalid: 0,
        durationMs: 600,
      });
      expect(runs[0]).toMatchObject({
        errors: 2,
        error: 'sync process exited unexpectedly (signal SIGKILL)',
      });
      expect(await listSyncRuns(store.db, { limit: 1 })).toHaveLength(1);
    });

    it('keeps eval reports whole and answers the latest', async () => {
      const store = await factory.open();
      expect(await latestEvalRun(store.db)).toBeNull();
      await recordEvalRun(store.db, { models: [{ model: 'popular' }] }, { split: 'test' });
      const id = await recordEvalRun(
        store.db,
        { models: [{ model: 'ease', all: { recall10: 0.25 } }] },
        { split: 'validation' },
      );
      const latest = await latestEvalRun(store.db);
      expect(latest).toMatchObject({
        id,
        options: { split: 'validation' },
        report: { models: [{ model: 'ease', all: { recall10: 0.25 } }] },
      });
    });
  });

  describe.skipIf(skipReason !== null)('interactions and distributions', () => {
    it("lists a user's and a post's interactions newest first, received events included", async () => {
      const store = await factory.open();
      await seed(store);
      const ofUser = await interactionsOf(store.db, { userId: 1 }, 10);
      expect(ofUser.map((e) => [e.kind, e.origin, e.postId, e.at])).toEqual([
        ['like', 'received', 12, '2024-02-01 00:00:00'],
        ['view', 'synced', 11, '2024-01-03 10:00:00'],
        ['like', 'synced', 10, '2024-01-02 08:00:00'],
        ['view', 'synced', 10, '2024-01-01 08:00:00'],
      ]);
      const ofPost = await interactionsOf(store.db, { postId: 12 }, 2);
      expect(ofPost.map((e) => [e.kind, e.userId, e.ratingPercent])).toEqual([
        ['like', 1, null],
        ['rating', 2, 80],
      ]);
      const counts = await countsByKind(store.db, { postId: 12 });
      expect(counts).toEqual({
        synced: { view: 0, like: 1, inspire: 0, rating: 1 },
        received: { view: 0, like: 1, inspire: 0, rating: 0 },
      });
    });

    it('counts interactions per day with empty days filled, synced and received apart', async () => {
      const store = await factory.open();
      await seed(store);
      const synced = await interactionsPerDay(store.db);
      expect(synced.days).toEqual(['2024-01-01', '2024-01-02', '2024-01-03']);
      expect(Object.fromEntries(synced.series.map((s) => [s.label, s.counts]))).toEqual({
        views: [2, 0, 4],
        likes: [0, 2, 0],
        inspires: [0, 0, 0],
        ratings: [0, 0, 1],
      });
      const received = await interactionsPerDay(store.db, undefined, 'received');
      expect(received.days).toEqual(['2024-02-01']);
      expect(received.series.map((s) => [s.label, s.counts])).toEqual([['likes received', [1]]]);
      const ofUser = await interactionsPerDay(store.db, { userId: 2 });
      expect(ofUser.days).toEqual(['2024-01-01', '2024-01-02', '2024-01-03']);
      expect(ofUser.series.find((s) => s.kind === 'view')!.counts).toEqual([1, 0, 1]);
    });

    it('counts posts per category and summarises the popularity tail', async () => {
      const store = await factory.open();
      await seed(store);
      expect(await postsPerCategory(store.db, store.dialect)).toEqual([
        { name: 'Food', posts: 2 },
        { name: 'Tech', posts: 1 },
        { name: null, posts: 1 },
      ]);
      const tail = await popularityTail(store.db);
      // Interactions per post: 10 → 4, 12 → 3, 11 → 2, 99 (not stored) → 1; post 13 has none.
      expect(tail.curve).toEqual([
        { rank: 1, interactions: 4 },
        { rank: 2, interactions: 3 },
        { rank: 3, interactions: 2 },
        { rank: 4, interactions: 1 },
      ]);
      expect(tail).toMatchObject({ posts: 4, interactedPosts: 4, interactions: 10, untouchedPosts: 1 });
      expect(tail.topShare.top1).toBeCloseTo(0.4, 10);
    });

    it("finds co-interaction neighbours: the posts a post's users also interacted with", async () => {
      const store = await factory.open();
      await seed(store);
      // Post 10's users are 1, 2, 3: user 1 → 11, 12 (received); user 2 → 11, 12; user 3 → 12.
      expect(await coInteractionNeighbours(store.db, 10, 10)).toEqual({
        audience: 3,
        neighbours: [
          { postId: 12, sharedUsers: 3 },
          { postId: 11, sharedUsers: 2 },
        ],
      });
      expect((await postDetail(store.db, 10))?.category).toBe('Food');
      expect(await postDetail(store.db, 404)).toBeNull();
    });
  });
});

describe('dashboard figures', () => {
  it('are computed in a thread of their own for a SQLite file, equal to the same queries here', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'figures-test-'));
    const path = join(dir, 'data.db');
    const store = await openStore(path);
    const threaded = new CatalogueFigures(store, { url: path });
    const here = new CatalogueFigures(store);
    try {
      await seed(store);
      expect(threaded.offThread).toBe(true);
      expect(here.offThread).toBe(false);
      expect(new CatalogueFigures(store, { url: ':memory:' }).offThread).toBe(false);
      expect(new CatalogueFigures(store, { url: 'postgres://127.0.0.1/test' }).offThread).toBe(false);
      for (const name of Object.keys(FIGURE_QUERIES) as FigureName[]) {
        const expected = await FIGURE_QUERIES[name](store);
        expect(await threaded.compute(name), name).toEqual(expected);
        expect(await here.compute(name), name).toEqual(expected);
      }
      expect((await threaded.compute('stats')).tables.Post).toBe(4);
      // The thread reads what was written after it opened its connection.
      await write(store, 'posts', [post(14, { category: category('Tech') })]);
      expect((await threaded.compute('stats')).tables.Post).toBe(5);
      await threaded.close();
      await expect(threaded.compute('stats')).rejects.toThrow(/closed/);
    } finally {
      await threaded.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
