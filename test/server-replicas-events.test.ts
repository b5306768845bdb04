// Two `serve` processes on one PostgreSQL database (a fresh schema): an event posted to either is
// excluded from the other's next feed within 1 s; a restart applies every event once (those in a newer
// snapshot from it, the rest from the overlay); a replica whose connections are cut, or that loses the
// database for a while, keeps serving feeds, refuses events with 503, reports not ready, and recovers.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndStoreSnapshot } from '../src/server/snapshot-build.js';
import { startSimulator } from '../src/simulator/index.js';
import { openPostgresStore } from '../src/store/postgres/store.js';
import type { Store } from '../src/store/types.js';
import { type Body, eventually, syncFromSimulator, TOKEN } from './support/feed-server.js';
import { type ServeProcess, startServeProcess } from './support/serve-process.js';
import { PG_URL, storeBackends } from './support/store-backends.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const postgres = (await storeBackends()).find((b) => b.dialect === 'postgres')!;
const SCHEMA = `replicas_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

/** The database URL a replica uses: this file's schema, and a name to find its connections by. */
function replicaUrl(name: string, port?: number): string {
  const url = new URL(PG_URL);
  if (port !== undefined) {
    url.hostname = '127.0.0.1';
    url.port = String(port);
  }
  url.searchParams.set('options', `-c search_path=${SCHEMA}`);
  url.searchParams.set('application_name', name);
  return url.toString();
}

let store: Store;
let proxy: TcpProxy;
/** Replica A talks to PostgreSQL directly; replica B through the proxy, so a test can cut it off. */
let a: ServeProcess | undefined;
let b: ServeProcess | undefined;
const bUrl = () => replicaUrl('replica-b', proxy.port);

/** A request to a replica; a failed connection says how the replica stands (exit code, last log lines). */
async function call(server: ServeProcess, path: string, init?: RequestInit) {
  try {
    return await fetch(server.url + path, init);
  } catch (error) {
    await new Promise((r) => setTimeout(r, 200));
    throw new Error(
      `${path} on ${server.url} failed (exit ${server.child.exitCode ?? server.child.signalCode}): ${server.stderr().slice(-3000)}`,
      { cause: error },
    );
  }
}
const get = async (server: ServeProcess, path: string) => {
  const res = await call(server, path);
  return { status: res.status, body: (await res.json()) as Body };
};
const postEvent = async (server: ServeProcess, event: Record<string, unknown>) => {
  const res = await call(server, '/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Body };
};
const feedIds = async (server: ServeProcess, userId: number): Promise<number[]> => {
  const res = await get(server, `/feed?user_id=${userId}&page_size=50`);
  expect(res.status).toBe(200);
  return res.body.post.map((p: { id: number }) => p.id);
};
const ready = async (server: ServeProcess) =>
  eventually(async () => ((await get(server, '/ready')).status === 200 ? true : undefined), 60_000);

beforeAll(async () => {
  if (postgres.skipReason) return;
  const simulator = await startSimulator({
    generate: { users: 100, posts: 40, interactions: 1200, seed: 5 },
    token: TOKEN,
  });
  try {
    store = await openPostgresStore(PG_URL, { schema: SCHEMA, maxConnections: 2 });
    await store.migrate();
    await syncFromSimulator(store, simulator);
  } finally {
    await simulator.close();
  }
  const target = new URL(PG_URL);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  // Both replicas load the stored snapshot instead of building one.
  await buildAndStoreSnapshot(store, {});
  [a, b] = await Promise.all([startServeProcess(replicaUrl('replica-a')), startServeProcess(bUrl())]);
  await Promise.all([ready(a), ready(b)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await proxy?.close();
  if (store) {
    await store.close();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`).finally(() => admin.end());
  }
});

/** Polls until `userId`'s feed on `server` no longer holds `postId`; fails after `timeoutMs`. */
const excludedOn = (server: ServeProcess, userId: number, postId: number, timeoutMs: number) =>
  eventually(async () => ((await feedIds(server, userId)).includes(postId) ? undefined : true), timeoutMs);

describe.skipIf(postgres.skipReason !== null)('events across replicas on PostgreSQL', () => {
  it('an event posted to one replica is excluded from the other’s next feed within 1 s, both ways', async () => {
    for (const [from, to, userId] of [
      [a!, b!, 7],
      [b!, a!, 8],
    ] as const) {
      const [top] = await feedIds(to, userId);
      expect((await postEvent(from, { user_id: userId, post_id: top, type: 'view' })).status).toBe(201);
      await excludedOn(to, userId, top!, 1000);
    }
    for (const server of [a!, b!]) {
      expect((await get(server, '/ready')).body.checks.events).toMatchObject({ ok: true, listening: true });
    }
  });

  it('a restart applies every event once: those in a newer snapshot from it, the rest from the overlay', async () => {
    const userId = 21;
    const watched: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [top] = await feedIds(a!, userId);
      expect((await postEvent(a!, { user_id: userId, post_id: top, type: 'view' })).status).toBe(201);
      watched.push(top!);
      await excludedOn(a!, userId, top!, 1000);
    }
    // A newer snapshot of the same data reads those three events.
    const built = await buildAndStoreSnapshot(store, {});
    const [fourth] = await feedIds(a!, userId);
    expect((await postEvent(a!, { user_id: userId, post_id: fourth, type: 'view' })).status).toBe(201);
    watched.push(fourth!);

    await b!.stop();
    b = await startServeProcess(bUrl());
    await ready(b);
    const state = (await get(b, '/ready')).body;
    expect(state.model.snapshot_id).toBe(built.id);
    const watermark = state.model.feed_event_watermark as number;
    expect(watermark).toBe(built.meta.feedEventWatermark);
    const newer = await store.db
      .selectFrom('FeedEvent')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('id', '>', watermark)
      .executeTakeFirstOrThrow();
    // The overlay holds exactly the events after the snapshot: none of those inside it a second time.
    await eventually(
      async () =>
        (await get(b!, '/ready')).body.checks.model.live_events === Number(newer.n) ? true : undefined,
      5000,
    );
    const feed = await feedIds(b, userId);
    for (const post of watched) expect(feed).not.toContain(post);
  });

  it('a replica whose connections are cut keeps serving and recovers by itself', async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'replica-b'",
      );
      expect(rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    expect((await get(b!, '/feed?user_id=30&page_size=5')).status).toBe(200);
    const [top] = await feedIds(b!, 31);
    expect((await postEvent(a!, { user_id: 31, post_id: top, type: 'like' })).status).toBe(201);
    await excludedOn(b!, 31, top!, 10_000);
    await ready(b!);
    expect((await postEvent(b!, { user_id: 32, post_id: top, type: 'view' })).status).toBe(201);
    await eventually(
      async () => ((await get(b!, '/ready')).body.checks.events.listening ? true : undefined),
      10_000,
    );
  });

  it('a replica that loses the database serves feeds, refuses events (503), is not ready, then recovers', async () => {
    const userId = 41;
    const [top] = await feedIds(b!, userId);
    proxy.cut();
    try {
      expect((await get(b!, `/feed?user_id=${userId}&page_size=10`)).status).toBe(200);
      const refused = await postEvent(b!, { user_id: userId, post_id: top, type: 'view' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body).toEqual({
        status: 'error',
        message:
          'the event was not accepted: the database is unreachable right now; send it again shortly (see /ready)',
      });
      const state = await get(b!, '/ready');
      expect(state.status).toBe(503);
      expect(state.body.status).toBe('not_ready');
      expect(state.body.checks.store).toEqual({
        ok: false,
        error: expect.stringMatching(/^database unreachable: /),
      });
      // Meanwhile the other replica takes the event.
      expect((await postEvent(a!, { user_id: userId, post_id: top, type: 'view' })).status).toBe(201);
    } finally {
      proxy.restore();
    }
    await ready(b!);
    await excludedOn(b!, userId, top!, 10_000);
    expect((await postEvent(b!, { user_id: userId + 1, post_id: top, type: 'view' })).status).toBe(201);
  });
});
