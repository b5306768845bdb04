// Admin syncs run in their own low-priority child process (real processes, a real SQLite file, the real
// simulator over HTTP): progress is mirrored into GET /admin/sync, the Flic token reaches the child only
// over IPC, closing the server stops the child, and a child killed mid-sync fails the run cleanly.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchGovernor } from '../src/server/batch-governor.js';
import type { FromSyncChild, ToSyncChild } from '../src/server/sync-protocol.js';
import { type SyncRun, SyncRunner } from '../src/server/sync-runner.js';
import { BATCH_NICE, forkModule } from '../src/shared/fork-module.js';
import { createLogger, type Logger } from '../src/shared/logger.js';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/types.js';
import { eventually, startTestServer, type TestServer, TOKEN } from './support/feed-server.js';

const ADMIN = 'admin-token-7c41e0';
const auth = { authorization: `Bearer ${ADMIN}` };
const PAGE_SIZE = 20;

let dir: string;
let path: string;
let simulator: RunningSimulator;
const servers: TestServer[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sync-process-test-'));
  path = join(dir, 'data.db');
  simulator = await startSimulator({
    generate: { users: 200, posts: 60, interactions: 8000, seed: 5 },
    token: TOKEN,
  });
  // Views pages answer slowly, so a sync is surely in flight (inside views) while a test looks at it.
  simulator.setFaults({ slowRate: 1, slowMs: 200, sources: ['views'] });
  // An empty, migrated database: the server opens it, its sync process fills it.
  await (await openStore(path)).close();
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  await simulator.close();
  await rm(dir, { recursive: true, force: true });
});

async function server(logger?: Logger): Promise<TestServer> {
  const started = await startTestServer(path, {
    buildFirst: false,
    app: {
      adminToken: ADMIN,
      upstream: { baseUrl: simulator.url, token: TOKEN, pageSize: PAGE_SIZE },
      database: { url: path },
      ...(logger ? { logger } : {}),
    },
  });
  servers.push(started);
  return started;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Waits (bounded) until the simulator has answered `count` views requests: the sync is mid-views. */
async function midViews(count = 5): Promise<void> {
  await eventually(async () => (simulator.stats().bySource.views >= count ? true : undefined));
}

/**
 * Waits (bounded) until the run shows a views page stored: the sync process reports a page only after
 * its rows and checkpoint committed, so an interruption from here on leaves a checkpoint past page 1.
 */
async function viewsPageStored(status: () => Promise<{ current: SyncRun | null }>): Promise<void> {
  await eventually(async () =>
    ((await status()).current?.sources.views?.pages ?? 0) > 0 ? true : undefined,
  );
}

const adminStatus = (s: TestServer) => async () => (await s.get('/admin/sync', auth)).body;

async function finished(s: TestServer) {
  return eventually(async () => {
    const res = await s.get('/admin/sync', auth);
    return res.body.running ? undefined : res.body;
  });
}

async function expectExactTables(store: Store): Promise<void> {
  const expected = simulator.expectedValidCounts();
  const { tables } = await store.stats();
  expect(tables).toEqual({
    User: expected.users,
    Post: expected.posts,
    PostView: expected.views,
    PostLike: expected.likes,
    PostInspire: expected.inspires,
    PostRating: expected.ratings,
    PostSummary: expected.posts,
  });
}

describe('admin sync in a child process', () => {
  it('runs in another process at batch priority, mirrors its progress, and stores exact counts', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const s = await server(createLogger({ level: 'debug', destination: sink }));
    // A server started with FLIC_TOKEN in its environment must not hand it down.
    const before = process.env.FLIC_TOKEN;
    process.env.FLIC_TOKEN = TOKEN;
    let pid: number;
    const seen: string[] = [];
    try {
      const started = await s.post('/admin/sync', undefined, auth);
      expect(started.status).toBe(202);
      pid = started.body.pid;
      expect(typeof pid).toBe('number');
      expect(pid).not.toBe(process.pid);
      await midViews();
      expect(alive(pid)).toBe(true);
      expect(getPriority(pid)).toBe(BATCH_NICE);
      if (existsSync(`/proc/${pid}/environ`)) {
        const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
        expect(cmdline).toMatch(/sync-child\.ts/);
        expect(environ + cmdline).not.toContain(TOKEN);
      }
      // Progress as GET /admin/sync always showed it, now from the other process.
      const progress = await eventually(async () => {
        const res = await s.get('/admin/sync', auth);
        seen.push(res.text);
        return res.body.current.sources.views.pages > 0 ? res.body : undefined;
      });
      expect(progress.running).toBe(true);
      expect(progress.current).toMatchObject({ id: 1, status: 'running', pid });
      expect(progress.current.sources.users).toMatchObject({
        status: 'complete',
        records: simulator.count('users'),
        start_page: 1,
      });
      expect(progress.current.sources.views.status).toBe('running');
      expect(progress.current.sources.likes.status).toBe('pending');
    } finally {
      if (before === undefined) delete process.env.FLIC_TOKEN;
      else process.env.FLIC_TOKEN = before;
      simulator.setFaults({});
    }

    const done = await finished(s);
    seen.push(JSON.stringify(done));
    expect(done.current).toMatchObject({ status: 'complete', pid });
    expect(done.current.error).toBeUndefined();
    const expected = simulator.expectedValidCounts();
    for (const source of ['users', 'posts', 'views', 'likes', 'inspires', 'ratings'] as const) {
      expect(done.current.sources[source]).toMatchObject({ status: 'complete', records: expected[source] });
    }
    expect(done.current.sources.summaries).toMatchObject({ status: 'complete', records: expected.posts });
    expect(alive(pid)).toBe(false);
    await expectExactTables(s.store);

    // The server's own store connection sees the data; the model is built from it after the sync.
    const ready = await eventually(async () => {
      const res = await s.get('/ready');
      return res.body.model?.posts === expected.posts ? res.body : undefined;
    });
    expect(ready.model.generation).toBe(1);

    // Token hygiene: in no log line and no answer of the parent.
    const logged = lines.join('');
    expect(logged).toContain('"msg":"sync started"');
    expect(logged).toContain(`"childPid":${pid}`);
    expect(logged + seen.join('')).not.toContain(TOKEN);
  });

  it('stops the sync process when the server closes mid-sync, leaving the store consistent', async () => {
    const s = await server();
    const started = await s.post('/admin/sync', undefined, auth);
    const pid: number = started.body.pid;
    await viewsPageStored(adminStatus(s));
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    expect(alive(pid)).toBe(false);

    // Every page stored is checkpointed with its rows: the checkpoint accounts for exactly the rows stored.
    const store = await openStore(path);
    try {
      const views = await store.getSyncState('views');
      expect(views?.status).toBe('running');
      expect(views!.nextPage).toBeGreaterThan(1);
      const { tables } = await store.stats();
      expect(tables.PostView).toBe((views!.nextPage - 1) * PAGE_SIZE);
      expect(tables.User).toBe(simulator.expectedValidCounts().users);
    } finally {
      await store.close();
    }

    // A new server picks up where it stopped and completes with exact counts.
    simulator.setFaults({});
    const next = await server();
    expect((await next.post('/admin/sync', undefined, auth)).status).toBe(202);
    const done = await finished(next);
    expect(done.current.status).toBe('complete');
    expect(done.current.sources.views.start_page).toBeGreaterThan(1);
    await expectExactTables(next.store);
  });

  it('fails the run clearly when the sync process is killed, keeps serving, and the next sync completes', async () => {
    const s = await server();
    const started = await s.post('/admin/sync', undefined, auth);
    const pid: number = started.body.pid;
    await viewsPageStored(adminStatus(s));
    process.kill(pid, 'SIGKILL');

    const failed = await finished(s);
    expect(failed.current).toMatchObject({
      id: 1,
      status: 'failed',
      pid,
      error: 'sync process exited unexpectedly (signal SIGKILL)',
    });
    expect(failed.current.finished_at).not.toBeNull();
    expect(failed.current.sources.users.status).toBe('complete');
    expect(failed.current.sources.views).toMatchObject({
      status: 'failed',
      error: 'sync process exited unexpectedly (signal SIGKILL)',
    });
    expect(alive(pid)).toBe(false);
    // onFinished ran (the metrics count the failed run) and the server still answers.
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/sync_runs_total\{status="failed"\} 1/);
    expect((await s.get('/health')).status).toBe(200);

    simulator.setFaults({});
    const again = await s.post('/admin/sync', undefined, auth);
    expect(again.status).toBe(202);
    expect(again.body.pid).not.toBe(pid);
    const done = await finished(s);
    expect(done.current).toMatchObject({ id: 2, status: 'complete' });
    expect(done.previous).toMatchObject({ id: 1, status: 'failed' });
    // Resumed from the checkpoint the killed process committed.
    expect(done.current.sources.views.start_page).toBeGreaterThan(1);
    await expectExactTables(s.store);
  });
});

describe('SyncRunner.close()', () => {
  it('kills a sync process that does not stop within stopTimeoutMs of the abort', async () => {
    const store = await openStore(path);
    try {
      const runner = new SyncRunner({
        store,
        upstream: { baseUrl: simulator.url, token: TOKEN, pageSize: PAGE_SIZE },
        database: { url: path },
        stopTimeoutMs: 300,
      });
      const pid = (await runner.start()).pid!;
      await viewsPageStored(() => runner.status());
      // A stopped process reads no abort message; only the kill after the grace period ends it.
      process.kill(pid, 'SIGSTOP');
      await runner.close();
      expect(alive(pid)).toBe(false);
      expect((await runner.status()).current).toMatchObject({
        status: 'aborted',
        pid,
        error: 'sync process stopped without a report (signal SIGKILL)',
      });
      expect((await runner.status()).current!.sources.views?.status).toBe('aborted');
    } finally {
      await store.close();
    }
  });
});

describe('the sync process on its own', () => {
  it('stops after its current page and exits when its server goes away', async () => {
    const child = forkModule(new URL('../src/server/sync-child.ts', import.meta.url));
    // 'exit', not 'close': after the parent's own disconnect() Node emits no 'close'.
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const messages: FromSyncChild[] = [];
    const inViews = new Promise<void>((resolve) => {
      child.on('message', (message: FromSyncChild) => {
        messages.push(message);
        if (message.type === 'ready') {
          child.send({
            type: 'start',
            database: path,
            upstream: { baseUrl: simulator.url, token: TOKEN, pageSize: PAGE_SIZE },
          } satisfies ToSyncChild);
        }
        if (message.type === 'progress-update' && message.source === 'views') resolve();
      });
    });
    await inViews;
    child.disconnect();
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(messages.some((m) => m.type === 'done')).toBe(false);
    const store = await openStore(path);
    try {
      const views = await store.getSyncState('views');
      expect(views?.status).toBe('running');
      expect((await store.stats()).tables.PostView).toBe((views!.nextPage - 1) * PAGE_SIZE);
    } finally {
      await store.close();
    }
  });

  it('reports a failure to open the store as a failed run, with the reason', async () => {
    const store = await openStore(path);
    try {
      const finished: string[] = [];
      const runner = new SyncRunner({
        store,
        upstream: { baseUrl: simulator.url, token: TOKEN },
        database: { url: 'mysql://127.0.0.1/feed' },
        onFinished: (_report, run) => finished.push(run.status),
      });
      await runner.start();
      await runner.idle();
      expect((await runner.status()).current).toMatchObject({ status: 'failed' });
      expect((await runner.status()).current!.error).toMatch(/^unsupported database URL scheme "mysql:"/);
      expect(finished).toEqual(['failed']);
    } finally {
      await store.close();
    }
  });
});

describe('a governed sync', () => {
  it('is paused part of the time while serving counts as busy, and still stores exact counts', async () => {
    simulator.setFaults({ slowRate: 1, slowMs: 20, sources: ['views'] });
    const store = await openStore(path);
    // Serving always busy: the sync process runs 30 % of every 50 ms and is stopped for the rest.
    const governor = new BatchGovernor({ load: () => 1, shareWhenBusy: 0.3, periodMs: 50 });
    try {
      const runner = new SyncRunner({
        store,
        upstream: { baseUrl: simulator.url, token: TOKEN, pageSize: PAGE_SIZE },
        database: { url: path },
        governor,
      });
      const run = await runner.start();
      expect(typeof run.pid).toBe('number');
      expect(governor.size).toBe(1);
      await runner.idle();
      expect((await runner.status()).current).toMatchObject({ status: 'complete' });
      expect(governor.pausedSeconds).toBeGreaterThan(0);
      // The exited sync process is no longer governed.
      await eventually(async () => (governor.size === 0 ? true : undefined));
      await runner.close();
      await expectExactTables(store);
    } finally {
      governor.close();
      await store.close();
    }
  });

  it('through the server: the sync and its rebuild are governed, and /metrics counts the pauses', async () => {
    simulator.setFaults({});
    const governor = new BatchGovernor({ load: () => 1, shareWhenBusy: 0.5, periodMs: 40 });
    const s = await startTestServer(path, {
      buildFirst: false,
      model: { governor },
      app: {
        adminToken: ADMIN,
        upstream: { baseUrl: simulator.url, token: TOKEN, pageSize: PAGE_SIZE },
        database: { url: path },
        governor,
      },
    });
    servers.push(s);
    try {
      expect((await s.post('/admin/sync', undefined, auth)).status).toBe(202);
      expect((await finished(s)).current.status).toBe('complete');
      // The sync's rebuild (a governed build process) swaps in a model that serves the synced data.
      const feed = await eventually(async () => {
        const res = await s.get('/feed?user_id=1');
        return res.status === 200 && res.body.post.length > 0 ? res : undefined;
      });
      expect(feed.body.post.length).toBeGreaterThan(0);
      const metrics = (await s.get('/metrics')).text;
      const paused = /^batch_paused_seconds_total (\S+)$/m.exec(metrics);
      expect(paused).not.toBeNull();
      expect(Number(paused![1])).toBeGreaterThan(0);
    } finally {
      governor.close();
    }
  });
});

describe('without a database another process can open', () => {
  it('syncs in this process (pid null), as before', async () => {
    simulator.setFaults({});
    const store = await openStore(':memory:');
    try {
      const runner = new SyncRunner({
        store,
        upstream: { baseUrl: simulator.url, token: TOKEN, pageSize: 500 },
      });
      expect((await runner.start()).pid).toBeNull();
      await runner.idle();
      expect((await runner.status()).current).toMatchObject({ status: 'complete', pid: null });
      await expectExactTables(store);
      await runner.close();
    } finally {
      await store.close();
    }
  });
});
