// Syncs of replicas on one PostgreSQL store, through their real coordinators (a session connection each,
// advisory-lock claims, notifications): the scheduled sync fires once per interval for the pair, never
// two at once, and a start on one while the other syncs is refused with 409 and shown on both. Syncs run
// in this process against the real simulator (the child-process path is server-replicas' part).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterCoordinator } from '../src/server/cluster.js';
import { SyncRunner } from '../src/server/sync-runner.js';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.js';
import { listSyncRuns } from '../src/store/sync-runs.js';
import type { Store } from '../src/store/types.js';
import { eventually, TOKEN } from './support/feed-server.js';
import { PG_URL, StoreFactory, storeBackends } from './support/store-backends.js';

const skipReason = (await storeBackends()).find((b) => b.dialect === 'postgres')!.skipReason;
const factory = new StoreFactory('postgres');
let simulator: RunningSimulator;
let schema: string;
let stores: Store[];
const coordinators: ClusterCoordinator[] = [];
const runners: SyncRunner[] = [];

beforeAll(async () => {
  if (skipReason !== null) return;
  simulator = await startSimulator({
    generate: { users: 60, posts: 20, interactions: 400, seed: 3 },
    token: TOKEN,
  });
  const first = await factory.open();
  stores = [first, await factory.reopen()];
  schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(first.db)).rows[0]!.s;
});

afterAll(async () => {
  for (const runner of runners) await runner.close();
  for (const coordinator of coordinators) await coordinator.close();
  await factory.cleanup();
  await simulator?.close();
});

/** A replica's sync runner: its own store connection and coordinator on the shared schema. */
async function runner(store: Store): Promise<SyncRunner> {
  const cluster = await ClusterCoordinator.open(PG_URL, {
    schema,
    replica: `replica-${coordinators.length + 1}`,
  });
  coordinators.push(cluster);
  const made = new SyncRunner({
    store,
    cluster,
    upstream: { baseUrl: simulator.url, token: TOKEN, pageSize: 50 },
  });
  runners.push(made);
  return made;
}

describe.skipIf(skipReason !== null)('syncs of replicas on one PostgreSQL store', () => {
  it('refuses a second sync on the other replica (409) and shows it there', async () => {
    const [one, two] = [await runner(stores[0]!), await runner(stores[1]!)];
    simulator.setFaults({ slowRate: 1, slowMs: 100 });
    try {
      const run = await one.start('admin');
      await expect(two.start('admin')).rejects.toMatchObject({ code: 'conflict' });
      const seen = await eventually(async () => {
        const status = await two.status();
        return status.running && status.current?.replica === run.replica ? status : undefined;
      });
      expect(seen.current!.id).toBe(run.id);
    } finally {
      simulator.setFaults({});
    }
    await one.idle();
    const after = await eventually(async () => {
      const status = await two.status();
      return status.running ? undefined : status;
    });
    expect(after.current).toMatchObject({ replica: expect.any(String), status: 'complete' });
    await expect(two.start('admin')).resolves.toMatchObject({ status: 'running' });
    await two.idle();
    for (const r of runners.splice(0)) await r.close();
  });

  it('fires the scheduled sync once per interval for the cluster, never two at once', async () => {
    const minutes = 0.04; // 2.4 s; each replica looks every second
    const periodMs = minutes * 60_000;
    const pair = [await runner(stores[0]!), await runner(stores[1]!)];
    const lastBefore = (await listSyncRuns(stores[0]!.db, { limit: 1 }))[0]?.id ?? 0;
    for (const r of pair) r.setInterval(minutes);
    await eventually(async () => {
      const all = (await listSyncRuns(stores[0]!.db)).filter((r) => r.id > lastBefore);
      return all.length >= 3 ? all : undefined;
    }, 60_000);
    for (const r of pair) r.setInterval(null);
    for (const r of pair) await r.idle();
    const interval = (await listSyncRuns(stores[0]!.db)).filter((r) => r.id > lastBefore).reverse(); // oldest first
    expect(interval.every((r) => r.trigger === 'interval' && r.status === 'complete')).toBe(true);
    for (let i = 1; i < interval.length; i++) {
      const previous = interval[i - 1]!;
      const next = interval[i]!;
      expect(Date.parse(next.startedAt) - Date.parse(previous.startedAt)).toBeGreaterThanOrEqual(periodMs);
      expect(Date.parse(next.startedAt)).toBeGreaterThanOrEqual(Date.parse(previous.finishedAt));
    }
  });
});
