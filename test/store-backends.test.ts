// The storage contract, run once per dialect: migrations, idempotent upserts, kept fields, orphans,
// transactional checkpoints and the sync-state rules.
import { existsSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { FeedError } from '../src/shared/errors.js';
import { POST_SPEC, USER_SPEC } from '../src/store/columns.js';
import {
  loadAllPosts,
  loadPostInspires,
  loadPostLikes,
  loadPostRatings,
  loadPostSummaries,
  loadPostViews,
  loadUsers,
} from '../src/store/queries.js';
import type { PostSummaryRow, Store } from '../src/store/types.js';
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
  withNulls,
} from './support/store-backends.js';

const backends = await storeBackends();
const FIXTURE = new URL('../../shared/fixtures/upstream-sample.json', import.meta.url);

/** Writes `records` as page `page` of `source`; the records are hand-built, so their type is asserted. */
function write(store: Store, source: SourceName, records: object[], page = 1, pageSize = 100) {
  return store.writePage(source, records as SourceRecords[typeof source][], { page, pageSize });
}

const summary = (post_id: number, extra: Partial<PostSummaryRow> = {}): PostSummaryRow => ({
  post_id,
  summary: `post ${post_id}: food video`,
  keywords: ['food', 'spices'],
  category: 'Food',
  username: 'studio_food',
  upvote_count: 20,
  view_count: 64,
  average_rating: 62,
  no_of_person_in_video: 1,
  estimated_duration: '00:30',
  main_character_gender: null,
  ...extra,
});

describe.each(backends)('store on $dialect', ({ dialect, skipReason }) => {
  const factory = new StoreFactory(dialect);
  afterEach(() => factory.cleanup());

  describe.skipIf(skipReason !== null)('schema', () => {
    it('runs its migrations once: migrating again, even from a second connection, changes nothing', async () => {
      const store = await factory.open();
      await write(store, 'users', [user(1)]);
      await store.migrate();
      const again = await factory.reopen();
      await again.migrate();
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        store.db,
      );
      expect(rows.map((r) => r.name)).toEqual([
        '0001_initial',
        '0002_feed_events',
        '0003_model_snapshots',
        '0004_run_history',
        '0005_event_idempotency',
        '0006_impressions',
        '0007_tuned_configs',
        '0008_dashboard_sessions',
      ]);
      expect(await again.countUsers()).toBe(1);
    });

    it('runs a migration that lands after a later-numbered one has run (0005 after 0006)', async () => {
      const store = await factory.open();
      // The state of a database migrated before 0005 existed: 0006 ran, 0005 did not.
      await sql`drop index ${sql.raw('"FeedEvent_user_idempotency_key_idx"')}`.execute(store.db);
      await sql`alter table ${sql.table('FeedEvent')} drop column idempotency_key`.execute(store.db);
      await sql`delete from kysely_migration where name = '0005_event_idempotency'`.execute(store.db);
      await store.migrate();
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        store.db,
      );
      expect(rows.map((r) => r.name)).toContain('0005_event_idempotency');
      await store.db
        .insertInto('FeedEvent')
        .values({
          user_id: 1,
          post_id: 1,
          type: 'like',
          created_at: '2026-01-01 00:00:00',
          idempotency_key: 'k',
        })
        .execute();
      expect(await store.db.selectFrom('FeedEvent').select('idempotency_key').execute()).toEqual([
        { idempotency_key: 'k' },
      ]);
    });

    it('names columns after the upstream fields, instagram-url as instagram_url', async () => {
      const store = await factory.open();
      await write(store, 'users', [user(1)]);
      const { rows } = await sql<Record<string, unknown>>`
        select instagram_url, ${sql.ref('isVerified')} as camel, is_verified from ${sql.table('User')}`.execute(
        store.db,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.instagram_url).toBe('https://instagram.example/user_1');
      expect(Boolean(rows[0]?.camel)).toBe(false);
      expect(Boolean(rows[0]?.is_verified)).toBe(true);
    });

    it('creates all seven tables and sync_state, empty', async () => {
      const store = await factory.open();
      const stats = await store.stats();
      expect(stats.tables).toEqual({
        User: 0,
        Post: 0,
        PostView: 0,
        PostLike: 0,
        PostInspire: 0,
        PostRating: 0,
        PostSummary: 0,
      });
      expect(stats.sync).toEqual([]);
      expect(await store.countUsers()).toBe(0);
    });
  });

  describe.skipIf(skipReason !== null)('upserts', () => {
    it('stores the same record twice as one row and reports it unchanged the second time', async () => {
      const store = await factory.open();
      expect(await write(store, 'users', [user(1), user(2)])).toEqual({ changed: 2, unchanged: 0 });
      expect(await write(store, 'users', [user(1), user(2)], 2)).toEqual({ changed: 0, unchanged: 2 });
      expect(await write(store, 'posts', [post(10)])).toEqual({ changed: 1, unchanged: 0 });
      expect(await write(store, 'posts', [post(10)], 2)).toEqual({ changed: 0, unchanged: 1 });
      expect(await write(store, 'views', [view(1, 1, 10), view(2, 2, 10)])).toEqual({
        changed: 2,
        unchanged: 0,
      });
      expect(await write(store, 'views', [view(1, 1, 10), view(2, 2, 10)], 2)).toEqual({
        changed: 0,
        unchanged: 2,
      });
      expect(await write(store, 'ratings', [rating(1, 1, 10, 60)])).toEqual({ changed: 1, unchanged: 0 });
      expect(await write(store, 'ratings', [rating(1, 1, 10, 60)], 2)).toEqual({ changed: 0, unchanged: 1 });
      const { tables } = await store.stats();
      expect(tables).toMatchObject({ User: 2, Post: 1, PostView: 2, PostRating: 1 });
    });

    it('updates the row of a record that changed, and only that row', async () => {
      const store = await factory.open();
      await write(store, 'users', [user(1), user(2)]);
      await write(store, 'posts', [post(10), post(11)]);
      await write(store, 'likes', [like(1, 1, 10), like(2, 2, 11)]);
      await write(store, 'ratings', [rating(1, 1, 10, 40)]);

      expect(await write(store, 'users', [user(1), user(2, { username: 'renamed' })], 2)).toEqual({
        changed: 1,
        unchanged: 1,
      });
      expect(await write(store, 'posts', [post(10, { tags: ['new'] }), post(11)], 2)).toEqual({
        changed: 1,
        unchanged: 1,
      });
      expect(await write(store, 'likes', [like(1, 1, 10, '2024-02-01 00:00:00'), like(2, 2, 11)], 2)).toEqual(
        {
          changed: 1,
          unchanged: 1,
        },
      );
      expect(await write(store, 'ratings', [rating(1, 1, 10, 80)], 2)).toEqual({ changed: 1, unchanged: 0 });

      expect((await loadUsers(store, { userId: 2 })).users[0]?.username).toBe('renamed');
      expect((await loadAllPosts(store, { postId: 10 })).posts[0]?.tags).toEqual(['new']);
      expect((await loadPostLikes(store)).likes.map((l) => l.liked_at)).toEqual([
        '2024-02-01 00:00:00',
        '2024-01-31 03:43:47',
      ]);
      expect((await loadPostRatings(store)).ratings[0]?.rating_percent).toBe(80);
    });

    it('counts a change in the unknown fields as a change', async () => {
      const store = await factory.open();
      await write(store, 'views', [{ ...view(1, 1, 10), source: 'app' }]);
      expect(await write(store, 'views', [{ ...view(1, 1, 10), source: 'app' }], 2)).toEqual({
        changed: 0,
        unchanged: 1,
      });
      expect(await write(store, 'views', [{ ...view(1, 1, 10), source: 'web' }], 3)).toEqual({
        changed: 1,
        unchanged: 0,
      });
      expect((await loadPostViews(store)).views).toEqual([{ ...view(1, 1, 10), source: 'web' }]);
    });

    it('stores a record repeated within one page once, with its last version', async () => {
      const store = await factory.open();
      const result = await write(store, 'inspires', [
        inspire(1, 1, 10),
        inspire(1, 1, 10),
        inspire(2, 1, 11),
      ]);
      expect(result.changed + result.unchanged).toBe(3);
      expect(result.changed).toBeGreaterThanOrEqual(2);
      await write(store, 'inspires', [inspire(3, 1, 10), inspire(3, 2, 10)], 2);
      const { inspires } = await loadPostInspires(store);
      expect(inspires.map((i) => [i.id, i.user_id])).toEqual([
        [1, 1],
        [2, 1],
        [3, 2],
      ]);
    });

    it('writes an empty page as a checkpoint only', async () => {
      const store = await factory.open();
      expect(await write(store, 'views', [], 4)).toEqual({ changed: 0, unchanged: 0 });
      expect((await store.getSyncState('views'))?.nextPage).toBe(5);
    });

    it('upserts PostSummary rows by post_id and reads keywords back as a list', async () => {
      const store = await factory.open();
      expect(await store.writeSummaries([summary(10), summary(11)])).toEqual({ changed: 2, unchanged: 0 });
      expect(await store.writeSummaries([summary(10), summary(11, { keywords: ['x'] })])).toEqual({
        changed: 1,
        unchanged: 1,
      });
      const { summaries } = await loadPostSummaries(store);
      expect(summaries).toEqual([summary(10), summary(11, { keywords: ['x'] })]);
    });
  });

  describe.skipIf(skipReason !== null)('what upstream sent is kept', () => {
    it('keeps unknown fields and reproduces each record through load*', async () => {
      const store = await factory.open();
      const u = user(1, { favourite_colour: 'teal', nested: { a: [1, 2, { b: null }] } });
      const p = post(10, { video_codec: 'h264', sponsor: null, extra: 'a field named extra' });
      const v = { ...view(1, 1, 10), device: 'ios', watch_seconds: 12.5 };
      const l = { ...like(1, 1, 10), reaction: 'heart' };
      const i = { ...inspire(1, 1, 10), note: { text: 'wow' } };
      const r = { ...rating(1, 1, 10, 75.5), scale: 'percent' };
      await write(store, 'users', [u]);
      await write(store, 'posts', [p]);
      await write(store, 'views', [v]);
      await write(store, 'likes', [l]);
      await write(store, 'inspires', [i]);
      await write(store, 'ratings', [r]);

      expect((await loadUsers(store)).users).toEqual([withNulls(USER_SPEC.knownFields, u)]);
      expect((await loadAllPosts(store)).posts).toEqual([withNulls(POST_SPEC.knownFields, p)]);
      expect((await loadPostViews(store)).views).toEqual([v]);
      expect((await loadPostLikes(store)).likes).toEqual([l]);
      expect((await loadPostInspires(store)).inspires).toEqual([i]);
      expect((await loadPostRatings(store)).ratings).toEqual([r]);
    });

    it('keeps JSON fields whole, with their JSON types (string vs number, empty objects, nested lists)', async () => {
      const store = await factory.open();
      const p = post(10, {
        chain_id: 8453,
        topic: { id: 1, name: 'T', owner: { name: 'O', has_evm_wallet: false }, empty: {}, list: [] },
        post_summary: { keywords: [{ keyword: 'a' }], emotions: { primary: 'joy' }, quality: [1.5, null] },
        source_matrix: { weights: [0.1, 0.2] },
        tags: [],
      });
      const q = post(11, { chain_id: '8453', tags: null, source_matrix: null, post_summary: 'just text' });
      await write(store, 'posts', [p, q]);
      await write(store, 'users', [
        user(1, { latitude: '51.5', longitude: -0.12 }),
        user(2, { latitude: 0 }),
      ]);
      const { posts } = await loadAllPosts(store);
      expect(posts).toEqual([withNulls(POST_SPEC.knownFields, p), withNulls(POST_SPEC.knownFields, q)]);
      expect(typeof posts[0]?.chain_id).toBe('number');
      expect(typeof posts[1]?.chain_id).toBe('string');
      const { users } = await loadUsers(store);
      expect(users.map((u) => [u.latitude, u.longitude])).toEqual([
        ['51.5', -0.12],
        [0, 12.25],
      ]);
    });

    it('returns created_at (epoch ms) and ids as JS numbers', async () => {
      const store = await factory.open();
      const big = 2 ** 40;
      await write(store, 'posts', [post(big, { created_at: 1_704_876_421_123 })]);
      await write(store, 'views', [view(big, big, big)]);
      const [p] = (await loadAllPosts(store)).posts;
      expect(p?.id).toBe(big);
      expect(p?.created_at).toBe(1_704_876_421_123);
      expect((await loadPostViews(store)).views).toEqual([view(big, big, big)]);
    });

    it('round-trips the upstream sample of every endpoint', async () => {
      if (!existsSync(FIXTURE)) return;
      const sample = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Record<string, object[]>>;
      const pick = (prefix: string) =>
        Object.entries(sample).find(([k]) => k.startsWith(`GET ${prefix}?page=1&`))?.[1] ?? {};
      const users = pick('/users/get_all').users ?? [];
      const posts = pick('/posts/summary/get').posts ?? [];
      const views = pick('/posts/view').posts ?? [];
      const ratings = pick('/posts/rating').posts ?? [];
      expect(users.length).toBeGreaterThan(0);
      const store = await factory.open();
      await write(store, 'users', users);
      await write(store, 'posts', posts);
      await write(store, 'views', views);
      await write(store, 'ratings', ratings);
      expect((await loadUsers(store)).users).toEqual(
        users.map((u) => withNulls(USER_SPEC.knownFields, u as Record<string, unknown>)),
      );
      expect((await loadAllPosts(store)).posts).toEqual(
        posts.map((p) => withNulls(POST_SPEC.knownFields, p as Record<string, unknown>)),
      );
      expect((await loadPostViews(store)).views).toEqual(views);
      expect((await loadPostRatings(store)).ratings).toEqual(ratings);
      expect(await write(store, 'posts', posts, 2)).toEqual({ changed: 0, unchanged: posts.length });
    });

    it('keeps interactions whose user or post is not stored, and counts them as orphans', async () => {
      const store = await factory.open();
      await write(store, 'users', [user(1)]);
      await write(store, 'posts', [post(10)]);
      await write(store, 'views', [view(1, 1, 10), view(2, 99, 10), view(3, 1, 98), view(4, 97, 96)]);
      await write(store, 'ratings', [rating(1, 55, 10)]);
      const stats = await store.stats();
      expect(stats.tables.PostView).toBe(4);
      expect(stats.orphans).toEqual({
        views: { unknownUser: 2, unknownPost: 2 },
        likes: { unknownUser: 0, unknownPost: 0 },
        inspires: { unknownUser: 0, unknownPost: 0 },
        ratings: { unknownUser: 1, unknownPost: 0 },
      });
      // The user arriving later resolves the orphan without touching the interaction.
      await write(store, 'users', [user(99)], 2);
      expect((await store.stats()).orphans.views).toEqual({ unknownUser: 1, unknownPost: 2 });
    });
  });

  describe.skipIf(skipReason !== null)('checkpoints and sync state', () => {
    it('advances the checkpoint to page + 1 with the page, in the same transaction', async () => {
      const store = await factory.open();
      await store.beginSync('views', 2);
      await write(store, 'views', [view(1, 1, 10), view(2, 1, 11)], 1, 2);
      await write(store, 'views', [view(3, 1, 12), view(4, 1, 13)], 2, 2);
      expect(await store.getSyncState('views')).toMatchObject({
        status: 'running',
        nextPage: 3,
        pageSize: 2,
      });

      // A record the database refuses (user_id NOT NULL) fails the whole page: no row, no checkpoint.
      const bad = { id: 6, user_id: null, post_id: 10, viewed_at: '2024-01-31 03:43:47' };
      const failure = await write(store, 'views', [view(5, 1, 14), bad], 3, 2).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(FeedError);
      expect((failure as FeedError).code).toBe('store_failed');
      expect((failure as FeedError).message).toMatch(/page 3 of views/);
      expect((await loadPostViews(store)).views.map((v) => v.id)).toEqual([1, 2, 3, 4]);
      expect(await store.getSyncState('views')).toMatchObject({ status: 'running', nextPage: 3 });

      // The store is still usable after the failed page.
      await write(store, 'views', [view(5, 1, 14), view(6, 1, 15)], 3, 2);
      expect((await store.getSyncState('views'))?.nextPage).toBe(4);
    });

    it('begins a first pass at page 1 with no last sync', async () => {
      const now = new Date('2024-05-01T10:00:00.000Z');
      const store = await factory.open({ now: () => now });
      expect(await store.getSyncState('users')).toBeNull();
      expect(await store.beginSync('users', 500)).toEqual({
        source: 'users',
        status: 'running',
        nextPage: 1,
        pageSize: 500,
        startedAt: '2024-05-01T10:00:00.000Z',
        lastSyncedAt: null,
        lastRecordCount: null,
      });
    });

    it('resumes a running pass at its next page, also from a new connection', async () => {
      const store = await factory.open();
      await store.beginSync('posts', 2);
      await write(store, 'posts', [post(1), post(2)], 1, 2);
      await write(store, 'posts', [post(3), post(4)], 2, 2);
      const again = await factory.reopen();
      expect(await again.beginSync('posts', 2)).toMatchObject({
        status: 'running',
        nextPage: 3,
        pageSize: 2,
      });
    });

    it('restarts a running pass at page 1 when the page size changes', async () => {
      const store = await factory.open();
      await store.beginSync('likes', 2);
      await write(store, 'likes', [like(1, 1, 1), like(2, 1, 2)], 1, 2);
      expect(await store.beginSync('likes', 3)).toMatchObject({
        status: 'running',
        nextPage: 1,
        pageSize: 3,
      });
      expect(await store.getSyncState('likes')).toMatchObject({ nextPage: 1, pageSize: 3 });
    });

    it('starts a new pass at page 1 after a complete one, keeping when the last one completed', async () => {
      let now = new Date('2024-05-01T10:00:00.000Z');
      const store = await factory.open({ now: () => now });
      await store.beginSync('ratings', 2);
      await write(store, 'ratings', [rating(1, 1, 1), rating(2, 1, 2)], 1, 2);
      now = new Date('2024-05-01T10:05:00.000Z');
      await store.completeSync('ratings', 2);
      expect(await store.getSyncState('ratings')).toEqual({
        source: 'ratings',
        status: 'complete',
        nextPage: 2,
        pageSize: 2,
        startedAt: '2024-05-01T10:00:00.000Z',
        lastSyncedAt: '2024-05-01T10:05:00.000Z',
        lastRecordCount: 2,
      });
      now = new Date('2024-05-02T08:00:00.000Z');
      expect(await store.beginSync('ratings', 2)).toEqual({
        source: 'ratings',
        status: 'running',
        nextPage: 1,
        pageSize: 2,
        startedAt: '2024-05-02T08:00:00.000Z',
        lastSyncedAt: '2024-05-01T10:05:00.000Z',
        lastRecordCount: 2,
      });
    });

    it('keeps one state per source, summaries included, and lists them in stats', async () => {
      const store = await factory.open();
      await store.beginSync('users', 10);
      await store.beginSync('views', 20);
      await store.completeSync('summaries', 7);
      const { sync } = await store.stats();
      expect(sync.map((s) => [s.source, s.status, s.pageSize])).toEqual([
        ['summaries', 'complete', 0],
        ['users', 'running', 10],
        ['views', 'running', 20],
      ]);
      expect(sync.find((s) => s.source === 'summaries')?.lastRecordCount).toBe(7);
    });

    it('refuses a negative page size or a page number below 1; page size 0 marks an unpaged pass', async () => {
      const store = await factory.open();
      await expect(store.beginSync('users', -1)).rejects.toThrow(/page size must be a non-negative integer/);
      await expect(store.beginSync('users', 1.5)).rejects.toThrow(/got 1.5/);
      await expect(write(store, 'users', [user(1)], 0)).rejects.toThrow(
        /checkpoint page must be a positive integer/,
      );
      expect(await store.countUsers()).toBe(0);
      expect(await store.beginSync('summaries', 0)).toMatchObject({ status: 'running', pageSize: 0 });
      expect(await store.beginSync('summaries', 0)).toMatchObject({ status: 'running', nextPage: 1 });
    });
  });
});
