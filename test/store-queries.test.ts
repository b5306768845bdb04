// The query API on both dialects: the contract's shapes, filters, keyset streaming equal to load*.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedError } from '../src/shared/errors.js';
import {
  fetchPostInspiresIds,
  fetchPostLikesIds,
  fetchPostRatingsIdsAndRating,
  fetchPostViewsIds,
  loadAllPosts,
  loadPostInspires,
  loadPostLikes,
  loadPostRatings,
  loadPostSummaries,
  loadPostViews,
  loadUsers,
  type QueryFilter,
  streamAllPosts,
  streamInteractionBatches,
  streamInteractions,
  streamPostInspires,
  streamPostLikes,
  streamPostRatings,
  streamPostSummaries,
  streamPostViews,
  streamUsers,
} from '../src/store/queries.js';
import type { Store } from '../src/store/types.js';
import type { SourceName, SourceRecords } from '../src/upstream/sources.js';
import {
  inspire,
  like,
  post,
  rating,
  StoreFactory,
  storeBackends,
  user,
  view,
} from './support/store-backends.js';

const backends = await storeBackends();

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** Seconds after 2024-01-01 00:00:00 as upstream text. */
const at = (s: number) =>
  new Date(Date.UTC(2024, 0, 1) + s * 1000).toISOString().slice(0, 19).replace('T', ' ');

// 3 users, 4 posts, and interactions spread over users, posts and one hour; ids out of time order.
const USERS = [1, 2, 3].map((id) => user(id));
const POSTS = [10, 11, 12, 13].map((id) => post(id, { created_at: 1_700_000_000_000 + id * 1000 }));
const VIEWS = Array.from({ length: 23 }, (_, i) =>
  view(i + 1, (i % 3) + 1, 10 + (i % 4), at(((i * 7) % 23) * 60)),
);
const LIKES = Array.from({ length: 9 }, (_, i) => like(100 + i, (i % 3) + 1, 10 + (i % 2), at(i * 600)));
const INSPIRES = [
  inspire(5, 1, 10, at(0)),
  inspire(6, 2, 12, at(60)),
  { ...inspire(7, 3, 13, at(120)), via: 'share' },
];
const RATINGS = Array.from({ length: 7 }, (_, i) =>
  rating(i + 1, (i % 3) + 1, 10 + (i % 4), i * 15, at(i * 300)),
);
const SUMMARIES = [10, 11, 12].map((post_id) => ({
  post_id,
  summary: `post ${post_id}`,
  keywords: ['a', `k${post_id}`],
  category: 'Food',
  username: 'studio_food',
  upvote_count: 1,
  view_count: 2,
  average_rating: 3.5,
  no_of_person_in_video: null,
  estimated_duration: null,
  main_character_gender: 'female',
}));

function write(store: Store, source: SourceName, records: object[]) {
  return store.writePage(source, records as SourceRecords[typeof source][], { page: 1, pageSize: 100 });
}

type Row = { id: number; user_id: number; post_id: number } & Record<string, unknown>;

/** What a filter should select from `rows`, computed in plain JS. */
function expected<R extends Row>(rows: R[], time: string, f: QueryFilter): R[] {
  const text = (t: Date | string) =>
    typeof t === 'string'
      ? t
      : new Date(Math.ceil(t.getTime() / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const out = [...rows]
    .sort((a, b) => a.id - b.id)
    .filter(
      (r) =>
        (f.userId === undefined || r.user_id === f.userId) &&
        (f.postId === undefined || r.post_id === f.postId) &&
        (f.since === undefined || (r[time] as string) >= text(f.since)) &&
        (f.until === undefined || (r[time] as string) < text(f.until)) &&
        (f.afterId === undefined || r.id > f.afterId),
    );
  const skipped = out.slice(f.offset ?? 0);
  return f.limit === undefined ? skipped : skipped.slice(0, f.limit);
}

const FILTERS: [string, QueryFilter][] = [
  ['no filter', {}],
  ['a user', { userId: 2 }],
  ['a post', { postId: 11 }],
  ['a user and a post', { userId: 1, postId: 10 }],
  ['a time window (since inclusive, until exclusive)', { since: at(300), until: at(900) }],
  [
    'a window given as Dates',
    { since: new Date(Date.UTC(2024, 0, 1, 0, 5)), until: new Date(Date.UTC(2024, 0, 1, 0, 15)) },
  ],
  [
    'a Date with milliseconds (rounded up to the next second)',
    { since: new Date(Date.UTC(2024, 0, 1, 0, 4, 59, 500)) },
  ],
  ['a limit', { limit: 4 }],
  ['afterId', { afterId: 5 }],
  ['an offset', { offset: 3 }],
  ['an offset and a limit within a user', { offset: 1, limit: 2, userId: 2 }],
  ['afterId with a limit and a user', { afterId: 3, limit: 2, userId: 3 }],
  ['a window matching nothing', { since: '2030-01-01 00:00:00' }],
];

describe.each(backends)('queries on $dialect', ({ dialect, skipReason }) => {
  const factory = new StoreFactory(dialect);
  let store: Store;

  beforeAll(async () => {
    if (skipReason !== null) return;
    store = await factory.open();
    await write(store, 'users', USERS);
    await write(store, 'posts', POSTS);
    await write(store, 'views', VIEWS);
    await write(store, 'likes', LIKES);
    await write(store, 'inspires', INSPIRES);
    await write(store, 'ratings', RATINGS);
    await store.writeSummaries(SUMMARIES);
  });
  afterAll(() => factory.cleanup());

  describe.skipIf(skipReason !== null)('shapes', () => {
    it('fetch*Ids return the prototype shapes: {likes|views|inspires: [{user_id, post_id}]}', async () => {
      const likes = await fetchPostLikesIds(store);
      expect(Object.keys(likes)).toEqual(['likes']);
      expect(likes.likes).toEqual(LIKES.map(({ user_id, post_id }) => ({ user_id, post_id })));
      expect((await fetchPostViewsIds(store)).views).toEqual(
        expected(VIEWS, 'viewed_at', {}).map(({ user_id, post_id }) => ({ user_id, post_id })),
      );
      expect(await fetchPostInspiresIds(store)).toEqual({
        inspires: [
          { user_id: 1, post_id: 10 },
          { user_id: 2, post_id: 12 },
          { user_id: 3, post_id: 13 },
        ],
      });
    });

    it('fetchPostRatingsIdsAndRating returns {ratings: [{user_id, post_id, rating_percent}]}', async () => {
      expect(await fetchPostRatingsIdsAndRating(store)).toEqual({
        ratings: RATINGS.map(({ user_id, post_id, rating_percent }) => ({
          user_id,
          post_id,
          rating_percent,
        })),
      });
    });

    it('load* return full records under the prototype keys', async () => {
      expect(await loadPostViews(store)).toEqual({ views: expected(VIEWS, 'viewed_at', {}) });
      expect(await loadPostLikes(store)).toEqual({ likes: LIKES });
      expect(await loadPostInspires(store)).toEqual({ inspires: INSPIRES });
      const { ratings } = await loadPostRatings(store);
      expect(ratings).toEqual(RATINGS);
      expect(Object.keys(ratings[0]!).sort()).toEqual([
        'id',
        'post_id',
        'rated_at',
        'rating_percent',
        'user_id',
      ]);
      const { posts } = await loadAllPosts(store);
      expect(posts.map((p) => p.id)).toEqual([10, 11, 12, 13]);
      expect(posts[0]).toMatchObject(POSTS[0]!);
      const { users } = await loadUsers(store);
      expect(users.map((u) => u.id)).toEqual([1, 2, 3]);
      expect(users[0]).toMatchObject(USERS[0]!);
      expect(await loadPostSummaries(store)).toEqual({ summaries: SUMMARIES });
    });
  });

  describe.skipIf(skipReason !== null).each(FILTERS)('filtered by %s', (_name, filter) => {
    it('every interaction load and fetch selects exactly the matching rows, ordered by id', async () => {
      const ids = (rows: Row[]) => rows.map(({ user_id, post_id }) => ({ user_id, post_id }));
      expect((await loadPostViews(store, filter)).views).toEqual(expected(VIEWS, 'viewed_at', filter));
      expect((await loadPostLikes(store, filter)).likes).toEqual(expected(LIKES, 'liked_at', filter));
      expect((await loadPostInspires(store, filter)).inspires).toEqual(
        expected(INSPIRES, 'inspired_at', filter),
      );
      expect((await loadPostRatings(store, filter)).ratings).toEqual(expected(RATINGS, 'rated_at', filter));
      expect((await fetchPostViewsIds(store, filter)).views).toEqual(
        ids(expected(VIEWS, 'viewed_at', filter)),
      );
      expect((await fetchPostLikesIds(store, filter)).likes).toEqual(
        ids(expected(LIKES, 'liked_at', filter)),
      );
      expect((await fetchPostInspiresIds(store, filter)).inspires).toEqual(
        ids(expected(INSPIRES, 'inspired_at', filter)),
      );
      expect((await fetchPostRatingsIdsAndRating(store, filter)).ratings).toEqual(
        expected(RATINGS, 'rated_at', filter).map(({ user_id, post_id, rating_percent }) => ({
          user_id,
          post_id,
          rating_percent,
        })),
      );
    });

    it('streaming in small batches yields the same rows as load*', async () => {
      const options = { batchSize: 2 };
      expect(await collect(streamPostViews(store, filter, options))).toEqual(
        (await loadPostViews(store, filter)).views,
      );
      expect(await collect(streamPostLikes(store, filter, options))).toEqual(
        (await loadPostLikes(store, filter)).likes,
      );
      expect(await collect(streamPostInspires(store, filter, options))).toEqual(
        (await loadPostInspires(store, filter)).inspires,
      );
      expect(await collect(streamPostRatings(store, filter, options))).toEqual(
        (await loadPostRatings(store, filter)).ratings,
      );
    });
  });

  describe.skipIf(skipReason !== null)('streams', () => {
    it('streamInteractions yields compact rows of each kind, by source or kind name', async () => {
      const views = await collect(streamInteractions(store, 'views', {}, { batchSize: 5 }));
      expect(views).toEqual(
        expected(VIEWS, 'viewed_at', {}).map(({ id, user_id, post_id, viewed_at }) => ({
          id,
          user_id,
          post_id,
          at: viewed_at,
          rating_percent: null,
        })),
      );
      const ratings = await collect(streamInteractions(store, 'rating'));
      expect(ratings).toEqual(
        RATINGS.map(({ id, user_id, post_id, rating_percent, rated_at }) => ({
          id,
          user_id,
          post_id,
          at: rated_at,
          rating_percent,
        })),
      );
      expect((await collect(streamInteractions(store, 'like', { userId: 1 }))).map((r) => r.id)).toEqual(
        expected(LIKES, 'liked_at', { userId: 1 }).map((l) => l.id),
      );
      const batches = await collect(streamInteractionBatches(store, 'inspires', {}, { batchSize: 2 }));
      expect(batches.map((b) => b.length)).toEqual([2, 1]);
    });

    it('streams posts, users and summaries with the rows their load* returns', async () => {
      expect(await collect(streamAllPosts(store, {}, { batchSize: 3 }))).toEqual(
        (await loadAllPosts(store)).posts,
      );
      expect(await collect(streamUsers(store, { afterId: 1 }, { batchSize: 1 }))).toEqual(
        (await loadUsers(store, { afterId: 1 })).users,
      );
      expect(await collect(streamPostSummaries(store, { limit: 2 }, { batchSize: 1 }))).toEqual(
        SUMMARIES.slice(0, 2),
      );
    });

    it('filters posts by id and by created_at window, users by id, summaries by post', async () => {
      const window = { since: new Date(1_700_000_011_000), until: new Date(1_700_000_013_000) };
      expect((await loadAllPosts(store, window)).posts.map((p) => p.id)).toEqual([11, 12]);
      expect((await loadAllPosts(store, { postId: 13 })).posts.map((p) => p.id)).toEqual([13]);
      expect((await loadUsers(store, { userId: 2 })).users.map((u) => u.id)).toEqual([2]);
      expect((await loadUsers(store, { limit: 2, afterId: 1 })).users.map((u) => u.id)).toEqual([2, 3]);
      expect((await loadUsers(store, { offset: 1 })).users.map((u) => u.id)).toEqual([2, 3]);
      expect((await loadAllPosts(store, { offset: 1, limit: 2 })).posts.map((p) => p.id)).toEqual([11, 12]);
      expect(await collect(streamAllPosts(store, { offset: 1 }, { batchSize: 1 }))).toEqual(
        (await loadAllPosts(store, { offset: 1 })).posts,
      );
      expect((await loadPostSummaries(store, { postId: 11 })).summaries).toEqual([SUMMARIES[1]]);
    });
  });

  describe.skipIf(skipReason !== null)('filter validation', () => {
    const bad: [string, () => Promise<unknown>, RegExp][] = [
      [
        'a non-integer user id',
        () => loadPostViews(store, { userId: 1.5 }),
        /userId must be a positive integer, got 1.5/,
      ],
      [
        'a string post id',
        () => fetchPostLikesIds(store, { postId: '7' as never }),
        /postId must be a positive integer, got "7"/,
      ],
      ['a zero limit', () => loadPostRatings(store, { limit: 0 }), /limit must be a positive integer, got 0/],
      [
        'a negative afterId',
        () => loadUsers(store, { afterId: -1 }),
        /afterId must be a non-negative integer/,
      ],
      [
        'a fractional offset',
        () => loadUsers(store, { offset: 0.5 }),
        /offset must be a non-negative integer/,
      ],
      [
        'a malformed time',
        () => loadPostLikes(store, { since: '2024-01-01T00:00:00Z' }),
        /since must be a Date or "YYYY-MM-DD HH:MM:SS"/,
      ],
      [
        'an invalid Date',
        () => loadPostLikes(store, { until: new Date('nope') }),
        /until is an invalid Date/,
      ],
      [
        'since after until',
        () => loadPostViews(store, { since: at(600), until: at(0) }),
        /since .* must not be after until/,
      ],
      [
        'a user filter on posts',
        () => loadAllPosts(store, { userId: 1 }),
        /loadAllPosts does not take filter field "userId"/,
      ],
      [
        'a time window on users',
        () => loadUsers(store, { since: at(0) }),
        /loadUsers does not take filter field "since"; accepted: userId, limit, offset, afterId/,
      ],
      [
        'an unknown field',
        () => loadPostViews(store, { user_id: 1 } as never),
        /does not take filter field "user_id"/,
      ],
      [
        'a zero batch size',
        () => collect(streamPostViews(store, {}, { batchSize: 0 })),
        /batchSize must be a positive integer/,
      ],
      [
        'an unknown kind',
        () => collect(streamInteractions(store, 'shares' as never)),
        /unknown interaction kind "shares"/,
      ],
    ];
    it.each(bad)('rejects %s with a bad_request naming it', async (_name, call, message) => {
      // Streams validate when called, before the first row: the async wrapper catches either way.
      const error = await (async () => call())().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).code).toBe('bad_request');
      expect((error as FeedError).message).toMatch(message);
    });
  });
});
