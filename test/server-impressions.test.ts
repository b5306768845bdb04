// Impressions over real HTTP on a real SQLite file: every served page with posts carries a recomm_id and
// is written (posts in order) by the background flush; POST /events is attributed to the page it names or,
// without one, to the newest page showing the post to the user within the window (not outside it); the
// retention timer prunes; /metrics counts per arm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAttribution, findImpression, insertImpressions } from '../src/store/impressions.js';
import {
  type Body,
  eventually,
  type SyncedDatabase,
  startTestServer,
  syncedDatabase,
  type TestServer,
} from './support/feed-server.js';

let db: SyncedDatabase;
let server: TestServer;

const MIN = 60_000;
const ids = (body: Body): number[] => body.post.map((p: { id: number }) => p.id);

/** The stored impression once the flush wrote it. */
const stored = (recommId: string) =>
  eventually(async () => (await findImpression(server.store.db, recommId)) ?? undefined);

beforeAll(async () => {
  db = await syncedDatabase({ users: 200, posts: 80, interactions: 3000 });
  server = await startTestServer(db.path, {
    app: {
      // As `serve` does: the database is named, so batches are written by the impression writer thread.
      database: { url: db.path },
      impressions: { flushMs: 50, pruneMs: 200, attributionWindowMinutes: 60, retentionDays: 30 },
    },
  });
});

afterAll(async () => {
  await server?.close();
  await db?.cleanup();
});

describe('served pages', () => {
  it('carry a recomm_id and are stored with their user, posts in order, arm and time', async () => {
    const before = Date.now();
    const res = await server.get('/feed?user_id=7&page_size=8');
    expect(res.status).toBe(200);
    expect(res.body.recomm_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(res.body)).toEqual(['status', 'page', 'page_size', 'post', 'recomm_id']);
    const impression = await stored(res.body.recomm_id);
    expect(impression).toEqual({
      recommId: res.body.recomm_id,
      userId: 7,
      route: 'feed',
      arm: 'hybrid',
      postIds: ids(res.body),
      at: expect.any(Number),
    });
    expect(impression.at).toBeGreaterThanOrEqual(before);
    // Each page is its own impression.
    const again = await server.get('/feed?user_id=7&page_size=8&page=2&model=popular');
    expect(again.body.recomm_id).not.toBe(res.body.recomm_id);
    expect(await stored(again.body.recomm_id)).toMatchObject({ arm: 'popular', postIds: ids(again.body) });
  });

  it('on the discovery lists too; an empty page has none and is not logged', async () => {
    const trending = await server.get('/feed/trending?user_id=9&page_size=5');
    expect(await stored(trending.body.recomm_id)).toMatchObject({
      userId: 9,
      route: 'trending',
      arm: 'trending',
      postIds: ids(trending.body),
    });
    const latest = await server.get('/feed/latest?page_size=3');
    expect(await stored(latest.body.recomm_id)).toMatchObject({ userId: null, route: 'latest' });
    const postId = ids(latest.body)[0]!;
    const similar = await server.get(`/posts/${postId}/similar?page_size=4`);
    expect(await stored(similar.body.recomm_id)).toMatchObject({
      route: 'similar',
      postIds: ids(similar.body),
    });
    const past = await server.get('/feed?user_id=7&page=1000&page_size=100');
    expect(past.body).toEqual({ status: 'success', page: 1000, page_size: 100, post: [] });
  });
});

describe('event attribution', () => {
  it('attributes an event to the page its recomm_id names, at the post’s position', async () => {
    const feed = await server.get('/feed?user_id=11&page_size=6');
    const postId = ids(feed.body)[3]!;
    const res = await server.post('/events', {
      user_id: 11,
      post_id: postId,
      type: 'like',
      recomm_id: feed.body.recomm_id,
    });
    expect(res.status).toBe(201);
    expect(res.body.attribution).toEqual({ recomm_id: feed.body.recomm_id, position: 4, arm: 'hybrid' });
    expect(await findAttribution(server.store.db, res.body.id)).toEqual({
      eventId: res.body.id,
      recommId: feed.body.recomm_id,
      position: 4,
      arm: 'hybrid',
      type: 'like',
      impressedAt: (await stored(feed.body.recomm_id)).at,
    });
  });

  it('without recomm_id, attributes to the newest page showing the post to the user', async () => {
    const first = await server.get('/feed/latest?user_id=13&page_size=10');
    const second = await server.get('/feed/trending?user_id=13&page_size=20');
    const shared = ids(second.body).find((id) => ids(first.body).includes(id));
    const postId = shared ?? ids(first.body)[2]!;
    const expected = shared === undefined ? first : second;
    const res = await server.post('/events', { user_id: 13, post_id: postId, type: 'view' });
    expect(res.body.attribution).toEqual({
      recomm_id: expected.body.recomm_id,
      position: ids(expected.body).indexOf(postId) + 1,
      arm: expected === first ? 'latest' : 'trending',
    });
    // Another user who was never shown it: no attribution.
    const other = await server.post('/events', { user_id: 14, post_id: postId, type: 'view' });
    expect(other.body.attribution).toBeNull();
    expect(await findAttribution(server.store.db, other.body.id)).toBeNull();
  });

  it('only within the window: a page older than it is not attributed to', async () => {
    const postId = ids((await server.get('/feed/latest?page_size=1')).body)[0]!;
    const now = Date.now();
    await insertImpressions(server.store.db, [
      {
        recommId: 'old-page',
        userId: 150,
        route: 'feed',
        arm: 'hybrid',
        postIds: [1, postId],
        at: now - 61 * MIN,
      },
    ]);
    const outside = await server.post('/events', { user_id: 150, post_id: postId, type: 'like' });
    expect(outside.status).toBe(201);
    expect(outside.body.attribution).toBeNull();
    await insertImpressions(server.store.db, [
      {
        recommId: 'recent-page',
        userId: 150,
        route: 'feed',
        arm: 'hybrid',
        postIds: [postId],
        at: now - 59 * MIN,
      },
    ]);
    const inside = await server.post('/events', { user_id: 150, post_id: postId, type: 'inspire' });
    expect(inside.body.attribution).toEqual({ recomm_id: 'recent-page', position: 1, arm: 'hybrid' });
  });

  it('falls back to the window when the named page did not show the post to this user', async () => {
    const feed = await server.get('/feed?user_id=21&page_size=3');
    const postId = ids(feed.body)[1]!;
    // Named page of another user: not that one; user 22 never saw it either.
    const res = await server.post('/events', {
      user_id: 22,
      post_id: postId,
      type: 'view',
      recomm_id: feed.body.recomm_id,
    });
    expect(res.body.attribution).toBeNull();
    const unknown = await server.post('/events', {
      user_id: 21,
      post_id: postId,
      type: 'view',
      recomm_id: 'no-such-page',
    });
    expect(unknown.body.attribution).toEqual({ recomm_id: feed.body.recomm_id, position: 2, arm: 'hybrid' });
    const bad = await server.post('/events', { user_id: 21, post_id: postId, type: 'view', recomm_id: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/recomm_id must be the recomm_id of a served page/);
  });
});

describe('retention and metrics', () => {
  it('prunes pages past the retention bound with their attributions', async () => {
    const now = Date.now();
    await insertImpressions(server.store.db, [
      {
        recommId: 'ancient',
        userId: 3,
        route: 'feed',
        arm: 'hybrid',
        postIds: [1],
        at: now - 31 * 86_400_000,
      },
      { recommId: 'kept', userId: 3, route: 'feed', arm: 'hybrid', postIds: [1], at: now - 29 * 86_400_000 },
    ]);
    await eventually(async () =>
      (await findImpression(server.store.db, 'ancient')) === null ? true : undefined,
    );
    expect(await findImpression(server.store.db, 'kept')).not.toBeNull();
  });

  it('counts impressions and attributed events per arm in /metrics', async () => {
    const text = (await server.get('/metrics')).text;
    expect(text).toMatch(/feed_impressions_total\{arm="hybrid",route="feed"\} [1-9]/);
    expect(text).toMatch(/feed_impressions_total\{arm="trending",route="trending"\} [1-9]/);
    expect(text).toMatch(/feed_attributed_events_total\{arm="hybrid",type="like"\} [1-9]/);
    expect(text).toMatch(/feed_attributed_reciprocal_rank_sum\{arm="hybrid"\} \d/);
    expect(text).toMatch(/feed_impressions_buffered \d/);
  });
});
