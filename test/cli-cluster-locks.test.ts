import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterCoordinator } from '../src/server/cluster.js';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.js';
import { openStore } from '../src/store/open.js';
import { holdClusterLock } from '../src/store/postgres/cluster-locks.js';
import { startCli } from './support/cli-process.js';
import { eventually, syncFromSimulator, TOKEN } from './support/feed-server.js';
import { createScratchDatabase, type ScratchDatabase, storeBackends } from './support/store-backends.js';

const skipReason = (await storeBackends()).find((b) => b.dialect === 'postgres')!.skipReason;
/** Bound for a CLI run through tsx on a busy machine. */
const WAIT_MS = 120_000;

let database: ScratchDatabase | undefined;
let url: string;
let simulator: RunningSimulator;
let cluster: ClusterCoordinator;

beforeAll(async () => {
  if (skipReason !== null) return;
  database = await createScratchDatabase('cli_locks_test');
  url = database.url;
  simulator = await startSimulator({
    generate: { users: 60, posts: 20, interactions: 400, seed: 5 },
    token: TOKEN,
  });
  const store = await openStore(url);
  try {
    await syncFromSimulator(store, simulator);
  } finally {
    await store.close();
  }
  // A serving replica's coordinator on the same database: its claims are what the CLI must respect.
  cluster = await ClusterCoordinator.open(url, { replica: 'test-replica' });
});

afterAll(async () => {
  await cluster?.close();
  await simulator?.close();
  await database?.drop();
});

const syncEnv = () => ({ API_BASE_URL: simulator.url, FLIC_TOKEN: TOKEN, PAGE_SIZE: '20' });

describe.skipIf(skipReason !== null)('the CLI takes the cluster locks on PostgreSQL', () => {
  it('build refuses while a replica builds, then builds, stores and notifies the replicas', async () => {
    const claim = (await cluster.tryClaim('build'))!;
    expect(claim).not.toBeNull();
    const refused = startCli(['build', '--db', url, '--models', 'popular']);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toContain('a model build is already running in the cluster');
    expect(refused.stderr()).toContain('--wait');
    expect(refused.stdout()).not.toContain('stored');
    await claim.release();

    // A build process left running by a replica that died holds `build-run` alone: refused too.
    const run = await holdClusterLock(url, 'build-run');
    const refusedRun = startCli(['build', '--db', url, '--models', 'popular']);
    expect(await refusedRun.exited).toBe(1);
    expect(refusedRun.stderr()).toContain('a model build is already running in the cluster');
    await run.release();

    const notices: unknown[] = [];
    const unsubscribe = cluster.subscribe('snapshot', (data) => notices.push(data));
    try {
      const built = startCli(['build', '--db', url, '--models', 'popular']);
      expect(await built.exited).toBe(0);
      const id = Number(/snapshot (\d+) stored/.exec(built.stdout())?.[1]);
      expect(id).toBeGreaterThan(0);
      const notice = await eventually(async () => notices.find((n) => (n as { id?: number }).id === id));
      expect(notice).toEqual({ id });
    } finally {
      unsubscribe();
    }
    expect(await cluster.isClaimed('build')).toBe(false);
  });

  it('build --wait waits for the running build, holding the claim meanwhile so replicas wait too', async () => {
    const run = await holdClusterLock(url, 'build-run');
    const waiting = startCli(['build', '--db', url, '--models', 'popular', '--wait']);
    try {
      await eventually(
        async () => (/waiting for it to end/.test(waiting.stderr()) ? true : undefined),
        WAIT_MS,
      );
      // It queues on `build-run` holding `build`: a replica's claim is refused until it is done.
      await eventually(async () => ((await cluster.isClaimed('build')) ? true : undefined), WAIT_MS);
      expect(await cluster.tryClaim('build')).toBeNull();
      expect(waiting.child.exitCode).toBeNull();
    } finally {
      await run.release();
    }
    expect(await waiting.exited).toBe(0);
    expect(waiting.stdout()).toMatch(/snapshot \d+ stored/);
    expect(await cluster.isClaimed('build')).toBe(false);
  });

  it('sync refuses while a replica syncs, then syncs', async () => {
    const claim = (await cluster.tryClaim('sync'))!;
    expect(claim).not.toBeNull();
    const refused = startCli(['sync', '--db', url, '--progress', 'none'], syncEnv());
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toContain('a sync is already running in the cluster');
    expect(refused.stderr()).toContain('--wait');
    await claim.release();

    const run = await holdClusterLock(url, 'sync-run');
    const refusedRun = startCli(['sync', '--db', url, '--progress', 'none'], syncEnv());
    expect(await refusedRun.exited).toBe(1);
    expect(refusedRun.stderr()).toContain('a sync is already running in the cluster');
    await run.release();

    const synced = startCli(['sync', '--db', url, '--progress', 'none'], syncEnv());
    expect(await synced.exited).toBe(0);
    expect(await cluster.isClaimed('sync')).toBe(false);
  });

  it('sync --wait waits for the running sync, holding the claim meanwhile so replicas do not sync', async () => {
    const run = await holdClusterLock(url, 'sync-run');
    const waiting = startCli(['sync', '--db', url, '--progress', 'none', '--wait'], syncEnv());
    try {
      await eventually(
        async () => (/waiting for it to end/.test(waiting.stderr()) ? true : undefined),
        WAIT_MS,
      );
      await eventually(async () => ((await cluster.isClaimed('sync')) ? true : undefined), WAIT_MS);
      expect(await cluster.tryClaim('sync')).toBeNull();
      expect(waiting.child.exitCode).toBeNull();
    } finally {
      await run.release();
    }
    expect(await waiting.exited).toBe(0);
    expect(await cluster.isClaimed('sync')).toBe(false);
  });
});
