// Replicas on one PostgreSQL database, as real `empowerverse serve` processes: the second serves the
// first one's stored snapshot without building; an admin sync on one is the only sync (409 on the other,
// whose GET /admin/sync shows it) and swaps both; `kill -9` of the replica building a snapshot leaves the
// other serving the old one, and it takes the build over. A fresh database per run (dropped afterwards);
// skipped when no PostgreSQL answers on 127.0.0.1:5432.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.js';
import { openStore } from '../src/store/open.js';
import { type Body, eventually, syncFromSimulator, TOKEN } from './support/feed-server.js';
import { type ServeProcess, startServeProcess } from './support/serve-process.js';
import { createScratchDatabase, type ScratchDatabase, storeBackends } from './support/store-backends.js';

const ADMIN = 'replicas-admin-token';
/** How long a replica may take to get somewhere (start, build, load) on a busy machine. */
const WAIT_MS = 150_000;
const auth = { authorization: `Bearer ${ADMIN}` };
const skipReason = (await storeBackends()).find((b) => b.dialect === 'postgres')!.skipReason;

let database: ScratchDatabase | undefined;
let url: string;
let simulator: RunningSimulator;
const replicas: ServeProcess[] = [];

beforeAll(async () => {
  if (skipReason !== null) return;
  database = await createScratchDatabase('replicas_test');
  url = database.url;
  simulator = await startSimulator({
    generate: { users: 200, posts: 60, interactions: 3000, seed: 11 },
    token: TOKEN,
  });
  const store = await openStore(url);
  try {
    await syncFromSimulator(store, simulator);
  } finally {
    await store.close();
  }
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await simulator?.close();
  await database?.drop();
});

/** A replica: `serve` on a free port over the test database, with admin sync from the simulator. */
async function replica(): Promise<ServeProcess> {
  const serve = await startServeProcess(url, {
    env: {
      ADMIN_TOKEN: ADMIN,
      API_BASE_URL: simulator.url,
      FLIC_TOKEN: TOKEN,
      PAGE_SIZE: '100',
      LOG_LEVEL: 'info',
    },
  });
  replicas.push(serve);
  return serve;
}

async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Body> {
  const res = await fetch(base + path, { headers });
  return { status: res.status, body: await res.json() };
}

/** /ready's snapshot once the replica is ready. */
const readySnapshot = (base: string) =>
  eventually(async () => {
    const { status, body } = await get(base, '/ready');
    return status === 200 ? body.model : undefined;
  }, WAIT_MS);

/** Log lines (pino JSON on stderr) with this message. */
const logged = (r: ServeProcess, msg: string) =>
  r
    .stderr()
    .split('\n')
    .filter((line) => line.includes(`"msg":"${msg}"`));

/** Removes stored likes, which the next sync from the simulator writes back: a sync that changes data. */
async function dropSomeLikes(): Promise<void> {
  const store = await openStore(url, { migrate: false });
  try {
    const first = store.db.selectFrom('PostLike').select('id').orderBy('id').limit(50);
    await store.db.deleteFrom('PostLike').where('id', 'in', first).execute();
  } finally {
    await store.close();
  }
}

/** Asks for feeds from `base` until `stop()` says so; resolves with the statuses that were not 200. */
async function feedsUntil(base: string, stop: () => boolean): Promise<number[]> {
  const failures: number[] = [];
  for (let user = 1; !stop(); user = (user % 200) + 1) {
    const res = await fetch(`${base}/feed?user_id=${user}&page_size=5`).catch(() => null);
    if (res?.status !== 200) failures.push(res?.status ?? 0);
    await res?.arrayBuffer();
  }
  return failures;
}

// Each step starts processes and builds through tsx at batch priority: slow on a loaded machine.
const STEP_TIMEOUT_MS = 180_000;

describe.skipIf(skipReason !== null)('serve replicas on one PostgreSQL database', () => {
  let a: ServeProcess;
  let b: ServeProcess;

  it(
    'a replica started while another builds waits for that snapshot and serves it without building',
    async () => {
      a = await replica();
      await eventually(async () => (logged(a, 'model build started').length > 0 ? true : undefined), WAIT_MS);
      b = await replica();
      const [snapA, snapB] = await Promise.all([readySnapshot(a.url), readySnapshot(b.url)]);
      expect(snapA.origin).toBe('built');
      expect(snapB).toMatchObject({ origin: 'stored', snapshot_id: snapA.snapshot_id });
      expect(logged(b, 'model build started')).toEqual([]);
      expect((await get(b.url, '/feed?user_id=3&page_size=5')).status).toBe(200);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'runs one admin sync for the cluster (409 on the other replica, which shows it) and swaps both',
    async () => {
      const before = (await readySnapshot(a.url)).snapshot_id;
      await dropSomeLikes();
      // Slow views pages keep the sync running while the other replica is asked.
      simulator.setFaults({ slowRate: 1, slowMs: 150, sources: ['views'] });
      let swapped = false;
      const failures = feedsUntil(b.url, () => swapped);
      try {
        const started = await fetch(`${a.url}/admin/sync`, { method: 'POST', headers: auth });
        expect(started.status).toBe(202);
        const run = (await started.json()) as Body;
        const refused = await fetch(`${b.url}/admin/sync`, { method: 'POST', headers: auth });
        expect(refused.status).toBe(409);
        expect(((await refused.json()) as Body).message).toMatch(/already running/);
        expect((await fetch(`${a.url}/admin/sync`, { method: 'POST', headers: auth })).status).toBe(409);
        const seen = await eventually(async () => {
          const { body } = await get(b.url, '/admin/sync', auth);
          return body.running && body.current?.replica === run.replica ? body : undefined;
        });
        expect(seen.current.id).toBe(run.id);
        simulator.setFaults({});
        const [newA, newB] = await Promise.all(
          [a.url, b.url].map((base) =>
            eventually(async () => {
              const snap = await readySnapshot(base);
              return snap.snapshot_id !== before ? snap : undefined;
            }, WAIT_MS),
          ),
        );
        expect(newB.snapshot_id).toBe(newA.snapshot_id);
        expect(newB.origin).toBe('stored');
        const done = await eventually(async () => {
          const { body } = await get(b.url, '/admin/sync', auth);
          return body.running ? undefined : body;
        });
        expect(done.current).toMatchObject({ id: run.id, replica: run.replica, status: 'complete' });
      } finally {
        simulator.setFaults({});
        swapped = true;
      }
      expect(await failures).toEqual([]);
      // One build in the cluster for it: the syncing replica's.
      expect(logged(b, 'model build started')).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'when the building replica is killed (-9) the other keeps serving its snapshot and takes the build over',
    async () => {
      const before = (await readySnapshot(b.url)).snapshot_id;
      const buildsOnA = logged(a, 'model build started').length;
      await dropSomeLikes();
      expect((await fetch(`${a.url}/admin/sync`, { method: 'POST', headers: auth })).status).toBe(202);
      await eventually(
        async () => (logged(a, 'model build started').length > buildsOnA ? true : undefined),
        WAIT_MS,
      );
      const gone = new Promise((resolve) => a.child.once('exit', resolve));
      a.child.kill('SIGKILL');
      await gone;
      let taken = false;
      const failures = feedsUntil(b.url, () => taken);
      try {
        const after = await eventually(async () => {
          const snap = await readySnapshot(b.url);
          return snap.snapshot_id !== before ? snap : undefined;
        }, WAIT_MS);
        expect(after.origin).toBe('built');
        expect(logged(b, 'model build started').length).toBe(1);
      } finally {
        taken = true;
      }
      expect(await failures).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );
});
