// Impressions and attributions in the store, once per dialect: round trip, the attribution look-up
// window, retention pruning in batches, and the per-arm, per-day online metrics on a hand-built case.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Attribution,
  findAttribution,
  findImpression,
  type Impression,
  insertAttribution,
  insertImpressions,
  latestImpressionOf,
  onlineMetrics,
  pruneImpressions,
} from '../src/store/impressions.js';
import type { Store } from '../src/store/types.js';
import { StoreFactory, storeBackends } from './support/store-backends.js';

const backends = await storeBackends();

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const DAY = 86_400_000;
const MIN = 60_000;

const imp = (
  recommId: string,
  userId: number | null,
  arm: string,
  postIds: number[],
  at: number,
): Impression => ({
  recommId,
  userId,
  route: 'feed',
  arm,
  postIds,
  at,
});

/** The hand-built case: arm A on two days, arm B on one, and events attributed to A's pages. */
async function handBuilt(store: Store): Promise<void> {
  const impressions = [
    imp('a1', 1, 'A', [10, 11, 12, 13], T0),
    imp('a2', 2, 'A', [10, 14], T0 + MIN),
    imp('a3', 3, 'A', [15, 16, 17], T0 + 2 * MIN),
    imp('a4', 4, 'A', [18], T0 + 3 * MIN),
    imp('b1', 1, 'A', [20, 21], T0 + DAY),
    imp('c1', 5, 'B', [10, 11], T0 + 4 * MIN),
    imp('c2', null, 'B', [12], T0 + 5 * MIN),
  ];
  await insertImpressions(store.db, impressions);
  const at = (id: string) => impressions.find((m) => m.recommId === id)!.at;
  const attributions: [number, string, number, string, string][] = [
    [1, 'a1', 1, 'A', 'view'],
    [2, 'a1', 1, 'A', 'like'], // same page and position as event 1: one engaged post
    [3, 'a1', 3, 'A', 'view'],
    [4, 'a2', 2, 'A', 'like'],
    [5, 'a3', 3, 'A', 'inspire'],
    [7, 'a4', 1, 'A', 'rating'],
    [6, 'b1', 2, 'A', 'view'],
  ];
  for (const [eventId, recommId, position, arm, type] of attributions) {
    await insertAttribution(store.db, { eventId, recommId, position, arm, type, impressedAt: at(recommId) });
  }
}

describe.each(backends)('impressions on $dialect', ({ dialect, skipReason }) => {
  const factory = new StoreFactory(dialect);
  afterEach(() => factory.cleanup());

  describe.skipIf(skipReason !== null)('storage', () => {
    it('stores pages with their posts in order and reads them back', async () => {
      const store = await factory.open();
      const pages = Array.from({ length: 1203 }, (_, i) =>
        imp(`r${i}`, i % 7 === 0 ? null : i, 'hybrid', [i + 1, 9_999_999, 3], T0 + i),
      );
      await insertImpressions(store.db, pages);
      expect(await findImpression(store.db, 'r700')).toEqual(pages[700]);
      expect(await findImpression(store.db, 'r0')).toEqual({ ...pages[0], userId: null });
      expect(await findImpression(store.db, 'nope')).toBeNull();
      // A page written twice (a retried batch) stays one row.
      await insertImpressions(store.db, [pages[5]!]);
      const n = await store.db
        .selectFrom('FeedImpression')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(1203);
    });

    it('finds the newest page showing a post to a user within a time range, with its position', async () => {
      const store = await factory.open();
      await insertImpressions(store.db, [
        imp('old', 1, 'A', [10, 11], T0),
        imp('new', 1, 'A', [11, 12, 10], T0 + 10 * MIN),
        imp('other', 2, 'A', [10], T0 + 20 * MIN),
        imp('without', 1, 'A', [99], T0 + 30 * MIN),
      ]);
      const hit = await latestImpressionOf(store.db, 1, 10, T0 - 60 * MIN);
      expect(hit?.impression.recommId).toBe('new');
      expect(hit?.position).toBe(3);
      const earlier = await latestImpressionOf(store.db, 1, 10, T0 - 60 * MIN, T0 + 5 * MIN);
      expect([earlier?.impression.recommId, earlier?.position]).toEqual(['old', 1]);
      expect(await latestImpressionOf(store.db, 1, 10, T0 + 11 * MIN)).toBeNull();
      expect(await latestImpressionOf(store.db, 3, 10, T0 - 60 * MIN)).toBeNull();
    });

    it('keeps the first attribution of an event', async () => {
      const store = await factory.open();
      const a: Attribution = {
        eventId: 9,
        recommId: 'x',
        position: 2,
        arm: 'A',
        type: 'like',
        impressedAt: T0,
      };
      await insertAttribution(store.db, a);
      await insertAttribution(store.db, { ...a, position: 5 });
      expect(await findAttribution(store.db, 9)).toEqual(a);
      expect(await findAttribution(store.db, 10)).toBeNull();
    });

    it('prunes pages older than the bound and their attributions, in batches', async () => {
      const store = await factory.open();
      await handBuilt(store);
      expect(await pruneImpressions(store.db, T0 + DAY, { batch: 2 })).toEqual({
        impressions: 6,
        attributions: 6,
      });
      const left = await store.db.selectFrom('FeedImpression').select('recomm_id').execute();
      expect(left.map((r) => r.recomm_id)).toEqual(['b1']);
      expect(await findAttribution(store.db, 6)).not.toBeNull();
      expect(await findAttribution(store.db, 1)).toBeNull();
      expect(await pruneImpressions(store.db, T0 + DAY)).toEqual({ impressions: 0, attributions: 0 });
    });
  });

  describe.skipIf(skipReason !== null)('online metrics', () => {
    it('counts impressions, engaged shares and the mean reciprocal rank per arm and day', async () => {
      const store = await factory.open();
      await handBuilt(store);
      const metrics = await onlineMetrics(store.db);
      expect(metrics.map((m) => [m.arm, m.day])).toEqual([
        ['A', '2026-01-05'],
        ['A', '2026-01-06'],
        ['B', '2026-01-05'],
      ]);
      const [a0, a1, b0] = metrics;
      expect(a0).toMatchObject({
        impressions: 4,
        viewed: 1,
        liked: 2,
        inspired: 1,
        viewRate: 0.25,
        likeRate: 0.5,
        inspireRate: 0.25,
        engagedPosts: 5,
      });
      // Engaged (page, position): (a1,1) (a1,3) (a2,2) (a3,3) (a4,1) → (1 + 1/3 + 1/2 + 1/3 + 1) / 5.
      expect(a0!.meanReciprocalRank).toBeCloseTo((1 + 1 / 3 + 1 / 2 + 1 / 3 + 1) / 5, 12);
      expect(a1).toEqual({
        arm: 'A',
        day: '2026-01-06',
        impressions: 1,
        viewed: 1,
        liked: 0,
        inspired: 0,
        viewRate: 1,
        likeRate: 0,
        inspireRate: 0,
        engagedPosts: 1,
        meanReciprocalRank: 0.5,
      });
      expect(b0).toMatchObject({
        impressions: 2,
        viewed: 0,
        likeRate: 0,
        engagedPosts: 0,
        meanReciprocalRank: 0,
      });
    });

    it('filters by time and arm', async () => {
      const store = await factory.open();
      await handBuilt(store);
      const later = await onlineMetrics(store.db, { fromMs: T0 + DAY });
      expect(later.map((m) => [m.arm, m.day, m.impressions])).toEqual([['A', '2026-01-06', 1]]);
      const b = await onlineMetrics(store.db, { arms: ['B'] });
      expect(b.map((m) => [m.arm, m.impressions])).toEqual([['B', 2]]);
      const firstDay = await onlineMetrics(store.db, { toMs: T0 + DAY, arms: ['A'] });
      expect(firstDay.map((m) => [m.day, m.impressions, m.liked])).toEqual([['2026-01-05', 4, 2]]);
      expect(await onlineMetrics(store.db, { arms: [] })).toEqual([]);
    });
  });
});
