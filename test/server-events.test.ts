// POST /events over real HTTP: stored in FeedEvent, applied to the user's next feed at once (a watched
// post never comes back, a like shifts the ranking) without a rebuild, and learned by the next build.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InteractionKind } from '../src/recommend/types.js';
import { LiveEvents } from '../src/server/live-events.js';
import { insertFeedEvent, maxFeedEventId, streamFeedEvents } from '../src/store/feed-events.js';
import { loadTrainingDataFromStore } from '../src/store/training-data.js';
import {
  eventually,
  type SyncedDatabase,
  startTestServer,
  syncedDatabase,
  type TestServer,
} from './support/feed-server.js';
import { StoreFactory, storeBackends } from './support/store-backends.js';

let db: SyncedDatabase;
let server: TestServer;

const ids = (body: { post: { id: number }[] }) => body.post.map((p) => p.id);

beforeAll(async () => {
  db = await syncedDatabase({ users: 300, posts: 100, interactions: 6000 });
  server = await startTestServer(db.path);
});

afterAll(async () => {
  await server?.close();
  await db?.cleanup();
});

describe('POST /events', () => {
  it('stores the event and answers 201 with it', async () => {
    const ratings = async () =>
      Number(
        (
          await server.store.db
            .selectFrom('PostRating')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const platformBefore = await ratings();
    const res = await server.post('/events', { user_id: 5, post_id: 3, type: 'rating', rating_percent: 80 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      user_id: 5,
      post_id: 3,
      type: 'rating',
      rating_percent: 80,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      // Sent without an Idempotency-Key: always a new event.
      duplicate: false,
      // User 5 was served no page: the event is attributed to none.
      attribution: null,
    });
    const rows = await server.store.db
      .selectFrom('FeedEvent')
      .selectAll()
      .where('id', '=', res.body.id)
      .execute();
    expect(rows).toHaveLength(1);
    // Kept apart from the platform-keyed tables that sync fills.
    expect(await ratings()).toBe(platformBefore);
  });

  it('excludes a viewed post from the user’s very next feed, without a rebuild', async () => {
    const userId = 12;
    const before = await server.get(`/feed?user_id=${userId}&page_size=10`);
    const watched = before.body.post[0].id as number;
    const event = await server.post('/events', { user_id: userId, post_id: watched, type: 'view' });
    expect(event.status).toBe(201);
    const after = await server.get(`/feed?user_id=${userId}&page_size=100`);
    expect(ids(after.body)).not.toContain(watched);
    expect(ids(after.body)[0]).toBe(ids(before.body)[1]);
    expect(server.model.info?.generation).toBe(1);
    // Other users are not affected.
    const other = await server.get(`/feed?user_id=${userId + 1}&page_size=100`);
    expect(other.status).toBe(200);
  });

  it('shifts the feed after a like: a brand-new user’s feed stops being the cold-start list', async () => {
    const userId = 900_001;
    const cold = await server.get(`/feed?user_id=${userId}&page_size=20`);
    const coldIds = ids(cold.body);
    const liked = coldIds[5]!;
    expect((await server.post('/events', { user_id: userId, post_id: liked, type: 'like' })).status).toBe(
      201,
    );
    const warm = await server.get(`/feed?user_id=${userId}&page_size=20`);
    const warmIds = ids(warm.body);
    expect(warmIds).not.toContain(liked);
    // Not merely the cold list minus the liked post: the ranking itself moved.
    expect(warmIds).not.toEqual(coldIds.filter((id) => id !== liked));
    const explained = await server.get(`/feed?user_id=${userId}&page_size=5&explain=true`);
    expect(explained.body.post.some((p: { reason: string }) => !p.reason.startsWith('popular'))).toBe(true);
  });

  it('answers 400 naming the field for a bad event', async () => {
    const cases: [unknown, string | RegExp][] = [
      [{ user_id: 1, type: 'like' }, 'post_id must be a positive integer (a stored post), got nothing'],
      [{ user_id: 'a', post_id: 1, type: 'like' }, 'user_id must be a positive integer, got "a"'],
      [
        { user_id: 1, post_id: 1, type: 'share' },
        'type must be one of view, like, inspire, rating, got "share"',
      ],
      [
        { user_id: 1, post_id: 1, type: 'rating' },
        'rating_percent is required for a rating: a number 0..100',
      ],
      [
        { user_id: 1, post_id: 1, type: 'rating', rating_percent: 101 },
        'rating_percent must be a number 0..100 (required for a rating), got 101',
      ],
      [{ user_id: 1, post_id: 1, type: 'like', rating_percent: 5 }, /only accepted with type "rating"/],
      [{ user_id: 1, post_id: 987654, type: 'like' }, 'post_id must be the id of a stored post, got 987654'],
      [[1, 2], 'request body must be a JSON object, got [1,2]'],
    ];
    for (const [body, message] of cases) {
      const res = await server.post('/events', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const expected = typeof message === 'string' ? message : expect.stringMatching(message);
      expect(res.body).toEqual({ status: 'error', message: expected });
    }
  });

  it('is absorbed by the next model build: the post stays excluded and the overlay empties', async () => {
    const userId = 40;
    const before = await server.get(`/feed?user_id=${userId}&page_size=10`);
    const liked = before.body.post[0].id as number;
    const event = await server.post('/events', { user_id: userId, post_id: liked, type: 'like' });
    const ready = await server.get('/ready');
    expect(ready.body.checks.model.live_events).toBeGreaterThan(0);

    const info = await server.model.rebuild();
    expect(info.generation).toBe(2);
    expect(info.feedEventWatermark).toBeGreaterThanOrEqual(event.body.id);
    const after = await server.get(`/feed?user_id=${userId}&page_size=100`);
    expect(ids(after.body)).not.toContain(liked);
    const readyAfter = await server.get('/ready');
    expect(readyAfter.body.checks.model.live_events).toBe(0);
    expect(readyAfter.body.model.generation).toBe(2);
  });
});

describe('two servers on one SQLite file', () => {
  it('an event posted to one is excluded from the other’s next feed within 1 s (polling)', async () => {
    const other = await startTestServer(db.path);
    try {
      const userId = 77;
      const top = ids((await other.get(`/feed?user_id=${userId}&page_size=10`)).body)[0]!;
      expect((await server.post('/events', { user_id: userId, post_id: top, type: 'view' })).status).toBe(
        201,
      );
      await eventually(async () => {
        const feed = await other.get(`/feed?user_id=${userId}&page_size=100`);
        return ids(feed.body).includes(top) ? undefined : true;
      }, 1000);
      expect((await other.get('/ready')).body.checks.events).toMatchObject({ ok: true, listening: null });
    } finally {
      await other.close();
    }
  });

  it('likes posted to one lift the post in the other’s trending (followed events), without a rebuild', async () => {
    const other = await startTestServer(db.path);
    try {
      const trending = async (s: TestServer) => ids((await s.get('/feed/trending?page_size=100')).body);
      const before = await trending(other);
      const low = before[before.length - 1]!;
      for (let userId = 11; userId <= 30; userId++) {
        expect((await server.post('/events', { user_id: userId, post_id: low, type: 'like' })).status).toBe(
          201,
        );
      }
      const mine = await trending(server);
      expect(mine.indexOf(low)).toBeLessThan(before.length >> 1); // 20 fresh likes: from last to the top half
      // Once the other replica has followed all twenty, it serves the same list over the same snapshot.
      await eventually(
        async () => (JSON.stringify(await trending(other)) === JSON.stringify(mine) ? true : undefined),
        2000,
      );
    } finally {
      await other.close();
    }
  });
});

const backends = await storeBackends();

describe.each(backends)('feed events in the $dialect store', ({ dialect, skipReason }) => {
  const factory = new StoreFactory(dialect);
  afterEach(() => factory.cleanup());

  it.skipIf(skipReason !== null)(
    'are read into the training data up to a watermark, as their interaction kinds',
    async () => {
      const store = await factory.open();
      const base = await loadTrainingDataFromStore(store);
      expect(base.interactions.length).toBe(0);
      expect(await maxFeedEventId(store)).toBe(0);
      await insertFeedEvent(store, {
        user_id: 1,
        post_id: 2,
        type: 'like',
        at: new Date('2024-05-01T10:00:00Z'),
      });
      const second = await insertFeedEvent(store, {
        user_id: 1,
        post_id: 3,
        type: 'rating',
        rating_percent: 40,
      });
      await insertFeedEvent(store, { user_id: 2, post_id: 3, type: 'view' });
      expect(second).toMatchObject({ user_id: 1, post_id: 3, type: 'rating', rating_percent: 40 });
      expect(await maxFeedEventId(store)).toBe(second.id + 1);

      const all = await loadTrainingDataFromStore(store);
      expect(all.interactions.length).toBe(3);
      expect(Array.from(all.interactions.kind)).toEqual([
        InteractionKind.like,
        InteractionKind.rating,
        InteractionKind.view,
      ]);
      expect(all.interactions.at[0]).toBe(Date.parse('2024-05-01T10:00:00Z') / 1000);
      expect(all.interactions.ratingPercent[1]).toBe(40);
      expect(Number.isNaN(all.interactions.ratingPercent[0]!)).toBe(true);

      const upTo = await loadTrainingDataFromStore(store, { feedEventsUpToId: second.id });
      expect(upTo.interactions.length).toBe(2);
      const none = await loadTrainingDataFromStore(store, { feedEventsUpToId: 0 });
      expect(none.interactions.length).toBe(0);

      const batches: number[][] = [];
      for await (const batch of streamFeedEvents(store, { batchSize: 2 }))
        batches.push(batch.map((e) => e.id));
      expect(batches.map((b) => b.length)).toEqual([2, 1]);
      const mine = [];
      for await (const batch of streamFeedEvents(store, { userId: 2 })) mine.push(...batch);
      expect(mine.map((e) => e.post_id)).toEqual([3]);
    },
  );

  it.skipIf(skipReason !== null)('refuse an invalid event before it reaches the database', async () => {
    const store = await factory.open();
    await expect(insertFeedEvent(store, { user_id: 0, post_id: 1, type: 'like' })).rejects.toThrow(
      'user_id must be a positive integer, got 0',
    );
    await expect(
      insertFeedEvent(store, { user_id: 1, post_id: 1, type: 'rating', rating_percent: null }),
    ).rejects.toThrow('rating_percent must be a number 0..100 for a rating, got null');
    expect(await maxFeedEventId(store)).toBe(0);
  });
});

describe('the live-event overlay', () => {
  it('keeps events per user and drops those a new snapshot holds', () => {
    const overlay = new LiveEvents({ maxPerUser: 2 });
    overlay.add(1, { eventId: 1, postId: 10, kind: 'view' });
    overlay.add(1, { eventId: 3, postId: 11, kind: 'like' });
    overlay.add(1, { eventId: 4, postId: 12, kind: 'like' });
    overlay.add(2, { eventId: 2, postId: 10, kind: 'view' });
    expect(overlay.forUser(1)?.map((e) => e.postId)).toEqual([11, 12]);
    expect(overlay.size).toBe(3);
    overlay.prune(3);
    expect(overlay.forUser(1)?.map((e) => e.eventId)).toEqual([4]);
    expect(overlay.forUser(2)).toBeUndefined();
    expect(overlay.size).toBe(1);
  });
});
