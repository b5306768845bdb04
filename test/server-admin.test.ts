// Admin routes over real HTTP: absent without ADMIN_TOKEN, 401 without the right Bearer token, and a sync
// started by POST /admin/sync that really syncs from the simulator, reports progress and swaps the model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerToken, tokensEqual } from '../src/server/auth.js';
import {
  eventually,
  type SyncedDatabase,
  startTestServer,
  syncedDatabase,
  type TestServer,
  TOKEN,
} from './support/feed-server.js';

const ADMIN = 'admin-token-5b2e9d';
const auth = { authorization: `Bearer ${ADMIN}` };

let db: SyncedDatabase;

beforeAll(async () => {
  db = await syncedDatabase({ users: 200, posts: 60, interactions: 3000 });
});

afterAll(async () => {
  await db?.cleanup();
});

describe('without ADMIN_TOKEN', () => {
  it('has no admin routes: 404 in the error shape', async () => {
    const server = await startTestServer(db.path);
    try {
      for (const res of [await server.get('/admin/sync', auth), await server.post('/admin/sync', {}, auth)]) {
        expect(res.status).toBe(404);
        expect(res.body.status).toBe('error');
      }
      const doc = await server.get('/openapi.json');
      expect(doc.body.paths['/admin/sync']).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('with ADMIN_TOKEN', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(db.path, {
      app: { adminToken: ADMIN, upstream: { baseUrl: db.simulator.url, token: TOKEN, pageSize: 100 } },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers 401 without the token, with a wrong one, or with another scheme', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token-000000' },
      { authorization: `Basic ${ADMIN}` },
      { authorization: `Bearer ${ADMIN}x` },
      { authorization: ADMIN },
    ];
    for (const headers of attempts) {
      for (const res of [
        await server.get('/admin/sync', headers),
        await server.post('/admin/sync', {}, headers),
      ]) {
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          status: 'error',
          message: 'admin routes need the header Authorization: Bearer <ADMIN_TOKEN>',
        });
      }
    }
    const res = await fetch(`${server.url}/admin/sync`);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="admin"');
  });

  it('reports no sync before the first one', async () => {
    const res = await server.get('/admin/sync', auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      running: false,
      configured: true,
      interval_minutes: null,
      current: null,
      previous: null,
    });
  });

  it('starts a real sync (202), reports its progress per source, and swaps in a rebuilt model', async () => {
    // The platform's data changes: a new post and likes of it.
    const post = JSON.parse(db.simulator.data.recordJson('posts', 0)) as Record<string, unknown>;
    db.simulator.updateRecords('posts', [{ ...post, id: 5000, title: 'A brand new post' }]);
    db.simulator.updateRecords(
      'likes',
      Array.from({ length: 30 }, (_, i) => ({
        id: 900_000 + i,
        user_id: 1 + i,
        post_id: 5000,
        liked_at: '2024-05-01 12:00:00',
      })),
    );
    const started = await server.post('/admin/sync', undefined, auth);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ id: 1, trigger: 'admin', status: 'running', finished_at: null });

    const done = await eventually(async () => {
      const res = await server.get('/admin/sync', auth);
      return res.body.running ? undefined : res.body;
    });
    expect(done.current.status).toBe('complete');
    expect(done.current.sources.posts).toMatchObject({ status: 'complete', records: 61, start_page: 1 });
    expect(done.current.sources.likes.records).toBe(db.simulator.count('likes'));
    expect(done.current.sources.summaries.status).toBe('complete');

    const stored = await server.store.db
      .selectFrom('Post')
      .select('title')
      .where('id', '=', 5000)
      .executeTakeFirst();
    expect(stored?.title).toBe('A brand new post');

    // The rebuilt model is swapped in and knows the new post.
    const ready = await eventually(async () => {
      const res = await server.get('/ready');
      return res.body.model?.generation === 2 ? res.body : undefined;
    });
    expect(ready.model.posts).toBe(61);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/sync_last_records\{source="likes"\} \d+/);
    expect(metrics).toMatch(/sync_runs_total\{status="complete"\} 1/);
    expect(metrics).toMatch(/model_builds_total\{result="success"\} 2/);
  });

  it('refuses a second sync while one runs (409)', async () => {
    db.simulator.setFaults({ slowRate: 1, slowMs: 300 });
    try {
      const first = await server.post('/admin/sync', undefined, auth);
      expect(first.status).toBe(202);
      const second = await server.post('/admin/sync', undefined, auth);
      expect(second.status).toBe(409);
      expect(second.body.message).toMatch(
        /^a sync is already running \(run 2, started .*\); see GET \/admin\/sync$/,
      );
      const progress = await server.get('/admin/sync', auth);
      expect(progress.body.running).toBe(true);
      expect(progress.body.current.id).toBe(2);
      expect(progress.body.previous.id).toBe(1);
    } finally {
      db.simulator.setFaults({});
    }
    await eventually(async () => ((await server.get('/admin/sync', auth)).body.running ? undefined : true));
  });
});

describe('with ADMIN_TOKEN but no upstream configured', () => {
  it('answers POST /admin/sync 503 saying what to configure', async () => {
    const server = await startTestServer(db.path, { app: { adminToken: ADMIN } });
    try {
      const res = await server.post('/admin/sync', undefined, auth);
      expect(res.status).toBe(503);
      expect(res.body.message).toBe(
        'sync is not configured: start the server with API_BASE_URL (and FLIC_TOKEN) set',
      );
      expect((await server.get('/admin/sync', auth)).body.configured).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe('token checks', () => {
  it('compares tokens exactly and reads only a Bearer authorization', () => {
    expect(tokensEqual('abc12345', 'abc12345')).toBe(true);
    expect(tokensEqual('abc1234', 'abc12345')).toBe(false);
    expect(tokensEqual(undefined, 'abc12345')).toBe(false);
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });
});
