// Stored, shared snapshots in the serving process: built once in a child process, stored in the
// database, reused by a restart on unchanged data, refused when corrupt, shared by every worker, and
// swapped under load without a failed request — through a sync that changed data and one that did not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelHolder } from '../src/server/model-holder.js';
import { openStore } from '../src/store/open.js';
import { listSnapshotArtifacts } from '../src/store/snapshots.js';
import type { Store } from '../src/store/types.js';
import {
  eventually,
  type SyncedDatabase,
  startTestServer,
  syncedDatabase,
  type TestServer,
  TOKEN,
} from './support/feed-server.js';

const ADMIN = 'admin-token-71c0aa';
const auth = { authorization: `Bearer ${ADMIN}` };
let db: SyncedDatabase;

beforeAll(async () => {
  db = await syncedDatabase({ users: 300, posts: 100, interactions: 5000 });
});

afterAll(async () => {
  await db?.cleanup();
});

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(db.path);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('stored snapshots', () => {
  it('builds once, then a restart on unchanged data reuses the stored snapshot (no rebuild)', async () => {
    const first = new ModelHolder({ source: { kind: 'database', url: db.path } });
    const built = await first.start();
    const feed = await first.feed({ userId: 5, pageSize: 10 });
    await first.close();
    const again = new ModelHolder({ source: { kind: 'database', url: db.path }, workers: 2 });
    try {
      // Built now or reused from an earlier test: either way the restart below must not build.
      const count = (await withStore((s) => listSnapshotArtifacts(s))).length;
      const reused = await again.start();
      expect(reused.origin).toBe('stored');
      expect(reused.snapshotId).toBe(built.snapshotId);
      expect(reused.checksum).toBe(built.checksum);
      expect((await withStore((s) => listSnapshotArtifacts(s))).length).toBe(count);
      expect((await again.feed({ userId: 5, pageSize: 10 })).items).toEqual(feed.items);
    } finally {
      await again.close();
    }
  });

  it('shares one copy between workers: every worker reads the same SharedArrayBuffer', async () => {
    const holder = new ModelHolder({ source: { kind: 'database', url: db.path }, workers: 3 });
    try {
      const info = await holder.start();
      expect(holder.workerCount).toEqual({ serving: 3, configured: 3 });
      expect(holder.workerMemory).toEqual(Array(3).fill({ shared: true, byteLength: info.byteSize }));
    } finally {
      await holder.close();
    }
  });

  it('refuses a tampered stored artifact, saying why, and builds a new one', async () => {
    const base = new ModelHolder({ source: { kind: 'database', url: db.path } });
    const good = await base.start();
    await base.close();
    await withStore(async (store) => {
      const chunk = await store.db
        .selectFrom('ModelSnapshotChunk')
        .select('data')
        .where('snapshot_id', '=', good.snapshotId!)
        .where('seq', '=', 0)
        .executeTakeFirstOrThrow();
      const data = Buffer.from(chunk.data);
      data[data.length - 1]! ^= 0xff;
      await store.db
        .updateTable('ModelSnapshotChunk')
        .set({ data })
        .where('snapshot_id', '=', good.snapshotId!)
        .where('seq', '=', 0)
        .execute();
    });
    const logs: string[] = [];
    const logger = {
      info: (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`),
      warn: (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`),
      error: (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`),
    } as never;
    const holder = new ModelHolder({ source: { kind: 'database', url: db.path }, logger });
    try {
      const info = await holder.start();
      expect(info.origin).toBe('built');
      expect(info.snapshotId).toBeGreaterThan(good.snapshotId!);
      expect(logs.join('\n')).toMatch(/stored snapshot refused; building a new one.*checksum mismatch/);
      expect((await holder.feed({ userId: 5, pageSize: 3 })).items).toHaveLength(3);
    } finally {
      await holder.close();
    }
  });

  it('rebuilds on start when the data moved since the stored snapshot', async () => {
    const a = new ModelHolder({ source: { kind: 'database', url: db.path } });
    const before = await a.start();
    await a.close();
    await withStore((store) => store.completeSync('likes', 1));
    const b = new ModelHolder({ source: { kind: 'database', url: db.path } });
    try {
      const after = await b.start();
      expect(after.origin).toBe('built');
      expect(after.snapshotId).not.toBe(before.snapshotId);
    } finally {
      await b.close();
    }
  });

  it('keeps the last few stored snapshots and prunes older ones', async () => {
    const holder = new ModelHolder({ source: { kind: 'database', url: db.path }, keepSnapshots: 2 });
    try {
      await holder.rebuild();
      await holder.rebuild();
      const stored = await withStore((s) => listSnapshotArtifacts(s));
      expect(stored).toHaveLength(2);
      expect(stored[0]!.id).toBe(holder.info!.snapshotId);
    } finally {
      await holder.close();
    }
  });
});

describe('serving through syncs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(db.path, {
      model: { workers: 2 },
      app: { adminToken: ADMIN, upstream: { baseUrl: db.simulator.url, token: TOKEN, pageSize: 100 } },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  const adminSync = async () => {
    const started = await server.post('/admin/sync', {}, auth);
    expect(started.status).toBe(202);
    return eventually(async () => {
      const s = await server.get('/admin/sync', auth);
      return s.body.running ? undefined : s.body;
    }, 60_000);
  };

  it('does not rebuild after a sync that changed nothing, and a restart then reuses the snapshot', async () => {
    const generation = server.model.info!.generation;
    const status = await adminSync();
    expect(status.previous ?? status.current).toMatchObject({ status: 'complete' });
    // The snapshot is re-stamped as current (asynchronously after the sync).
    await new Promise((r) => setTimeout(r, 500));
    expect(server.model.info!.generation).toBe(generation);
    const restart = new ModelHolder({ source: { kind: 'database', url: db.path } });
    try {
      expect((await restart.start()).origin).toBe('stored');
    } finally {
      await restart.close();
    }
  });

  it('answers every concurrent feed request through a sync that changed data and the swap after it', async () => {
    const generation = server.model.info!.generation;
    // Lose some stored likes: the next sync writes them again (data changed → rebuild → swap).
    await withStore(async (store) => {
      await store.db.deleteFrom('PostLike').where('id', '<=', 50).execute();
    });
    let done = false;
    const statuses = new Map<number, number>();
    let requests = 0;
    const deadline = Date.now() + 90_000;
    const loop = async (seed: number) => {
      let extra = 0;
      while ((!done || extra++ < 20) && requests < 20_000 && Date.now() < deadline) {
        requests++;
        const userId = 1 + ((seed * 7919 + requests * 104_729) % 300);
        const res = await fetch(`${server.url}/feed?user_id=${userId}&page_size=10`);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        await res.arrayBuffer();
      }
    };
    const loops = Array.from({ length: 6 }, (_, i) => loop(i + 1));
    await adminSync();
    await eventually(async () => (server.model.info!.generation > generation ? true : undefined), 60_000);
    done = true;
    await Promise.all(loops);
    expect([...statuses.keys()]).toEqual([200]);
    expect(requests).toBeGreaterThan(50);
    expect((await server.get('/ready')).body.model.generation).toBe(server.model.info!.generation);
  });
});

describe('readiness with several workers', () => {
  it('is not ready while a configured worker does not serve, and ready again once it does', async () => {
    const server = await startTestServer(db.path, { model: { workers: 2 } });
    try {
      expect((await server.get('/ready')).status).toBe(200);
      const workers = (server.model as unknown as { workers: { worker: { terminate(): Promise<number> } }[] })
        .workers;
      await workers[1]!.worker.terminate();
      const during = await server.get('/ready');
      expect(during.status).toBe(503);
      expect(during.body.checks.model.workers).toEqual({ serving: 1, configured: 2 });
      // The other worker keeps answering meanwhile.
      expect((await server.get('/feed?user_id=3')).status).toBe(200);
      const after = await eventually(async () => {
        const r = await server.get('/ready');
        return r.status === 200 ? r : undefined;
      });
      expect(after.body.checks.model.workers).toEqual({ serving: 2, configured: 2 });
      expect(after.body.model).toMatchObject({ origin: expect.any(String), bytes: expect.any(Number) });
    } finally {
      await server.close();
    }
  });
});
