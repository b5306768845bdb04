import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../src/simulator/index.js';
import { openStore } from '../src/store/open.js';
import {
  type SyncedDatabase,
  startTestServer,
  syncedDatabase,
  syncFromSimulator,
  type TestServer,
  TOKEN,
} from './support/feed-server.js';
import { createScratchDatabase, storeBackends } from './support/store-backends.js';

const GENERATE = { users: 80, posts: 30, interactions: 800, seed: 9 };

/** A database synced from the simulator: a SQLite file, or a fresh PostgreSQL database. */
async function database(dialect: 'sqlite' | 'postgres'): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const synced: SyncedDatabase = await syncedDatabase(GENERATE);
    return { url: synced.path, drop: () => synced.cleanup() };
  }
  const { url, drop } = await createScratchDatabase('events_key_test');
  const simulator = await startSimulator({ generate: GENERATE, token: TOKEN });
  try {
    const store = await openStore(url);
    try {
      await syncFromSimulator(store, simulator);
    } finally {
      await store.close();
    }
  } finally {
    await simulator.close();
  }
  return { url, drop };
}

const backends = await storeBackends();

describe.each(backends)('POST /events with an Idempotency-Key on $dialect', ({ dialect, skipReason }) => {
  let db: { url: string; drop(): Promise<void> } | undefined;
  let server: TestServer;
  let postId: number;

  beforeAll(async () => {
    if (skipReason !== null) return;
    db = await database(dialect);
    server = await startTestServer(db.url);
    const post = await server.store.db
      .selectFrom('Post')
      .select('id')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    postId = Number(post.id);
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  const send = (body: Record<string, unknown>, key?: string) =>
    server.post('/events', body, key === undefined ? {} : { 'idempotency-key': key });
  const rowsWithKey = async (key: string) =>
    server.store.db
      .selectFrom('FeedEvent')
      .select(['id', 'user_id'])
      .where('idempotency_key', '=', key)
      .execute();
  const liveEvents = async () => (await server.get('/ready')).body.checks.model.live_events as number;

  it.skipIf(skipReason !== null)(
    'stores a retried event once and answers the first one, marked duplicate',
    async () => {
      const event = { user_id: 3, post_id: postId, type: 'like' };
      const liveBefore = await liveEvents();
      const first = await send(event, 'retry-3f2a9c1e-0001');
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ ...event, duplicate: false });
      const again = await send(event, 'retry-3f2a9c1e-0001');
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ ...first.body, duplicate: true });
      expect(await rowsWithKey('retry-3f2a9c1e-0001')).toEqual([{ id: first.body.id, user_id: 3 }]);
      // The live overlay took it once.
      expect(await liveEvents()).toBe(liveBefore + 1);
    },
  );

  it.skipIf(skipReason !== null)(
    'stores one row when both sends of a key are in flight at once',
    async () => {
      const event = { user_id: 4, post_id: postId, type: 'rating', rating_percent: 70 };
      const answers = await Promise.all([send(event, 'concurrent-key'), send(event, 'concurrent-key')]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
      expect(answers[0]!.body.id).toBe(answers[1]!.body.id);
      expect(answers.map((a) => a.body.duplicate).sort()).toEqual([false, true]);
      expect(await rowsWithKey('concurrent-key')).toHaveLength(1);
    },
  );

  it.skipIf(skipReason !== null)(
    'stores events of other keys, of another user, and without a key',
    async () => {
      const event = { user_id: 5, post_id: postId, type: 'view' };
      const one = await send(event, 'key-a');
      const two = await send(event, 'key-b');
      const otherUser = await send({ ...event, user_id: 6 }, 'key-a');
      const keyless = [await send(event), await send(event)];
      for (const answer of [one, two, otherUser, ...keyless]) {
        expect(answer.status).toBe(201);
        expect(answer.body.duplicate).toBe(false);
      }
      expect(new Set([one, two, otherUser, ...keyless].map((a) => a.body.id)).size).toBe(5);
      expect((await rowsWithKey('key-a')).map((r) => r.user_id).sort()).toEqual([5, 6]);
      expect(await rowsWithKey('key-b')).toHaveLength(1);
    },
  );

  it.skipIf(skipReason !== null)('refuses a key used for another event of the user (409)', async () => {
    const first = await send({ user_id: 7, post_id: postId, type: 'like' }, 'reused-key');
    expect(first.status).toBe(201);
    const other = await send({ user_id: 7, post_id: postId, type: 'view' }, 'reused-key');
    expect(other.status).toBe(409);
    expect(other.body).toEqual({
      status: 'error',
      message: `this Idempotency-Key was used for another event of user 7 (event ${first.body.id}: like of post ${postId}); a retry must send the same event, a new event a new key`,
    });
    expect(await rowsWithKey('reused-key')).toHaveLength(1);
  });

  it.skipIf(skipReason !== null)('answers 400 for a bad key, storing nothing', async () => {
    const before = await server.store.db
      .selectFrom('FeedEvent')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const accepted = 'idempotency-key must be 1..255 visible ASCII characters (! to ~, no spaces)';
    for (const [key, got] of [
      ['', '""'],
      ['with space', '"with space"'],
      ['caf\u00e9', '"caf\u00e9"'],
      ['k'.repeat(256), `"${'k'.repeat(56)}...`],
    ] as const) {
      const res = await send({ user_id: 8, post_id: postId, type: 'like' }, key);
      expect(res.status, key).toBe(400);
      expect(res.body).toEqual({ status: 'error', message: `${accepted}, got ${got}` });
    }
    const after = await server.store.db
      .selectFrom('FeedEvent')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it.skipIf(skipReason !== null || dialect !== 'sqlite')('is shown in the OpenAPI document', async () => {
    const doc = (await server.get('/openapi.json')).body;
    const operation = doc.paths['/events'].post;
    const header = operation.parameters.find((p: { name: string }) => p.name === 'idempotency-key');
    expect(header).toMatchObject({ in: 'header', required: false });
    expect(header.description).toContain('stored once');
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '201', '409']));
    expect(operation.responses['200'].content['application/json'].schema.properties.duplicate).toMatchObject({
      type: 'boolean',
    });
  });
});
