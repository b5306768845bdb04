// An interrupted sync (kill -9, Ctrl-C) resumes from its checkpoint and ends with a clean run's rows.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.js';
import { openStore } from '../src/store/open.js';
import { runSync } from '../src/sync/sync.js';

const TOKEN = 'resume-token-5d21';
const CLI = join(import.meta.dirname, '../src/cli/main.ts');

let dir: string;
let simulator: RunningSimulator;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ev-resume-'));
  simulator = await startSimulator({
    generate: { users: 200, posts: 60, interactions: 8000, seed: 3 },
    token: TOKEN,
  });
  // Views pages answer slowly so the process is surely interrupted in the middle of them.
  simulator.setFaults({ slowRate: 1, slowMs: 25, sources: ['views'] });
});

afterEach(async () => {
  await simulator.close();
  rmSync(dir, { recursive: true, force: true });
});

function startCliSync(database: string): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  let output = '';
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      'sync',
      '--db',
      database,
      '--page-size',
      '20',
      '--concurrency',
      '2',
      '--progress',
      'log',
    ],
    {
      env: { ...process.env, API_BASE_URL: simulator.url, FLIC_TOKEN: TOKEN, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return { child, output: () => output, exit };
}

/** Waits (bounded) until the simulator has answered `count` views requests. */
async function waitForViewsRequests(count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (simulator.stats().bySource.views < count) {
    if (Date.now() > deadline) throw new Error('sync never reached the views pages');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function resumeAndCount(database: string) {
  simulator.setFaults({});
  const store = await openStore(database);
  try {
    const stateBefore = await store.getSyncState('views');
    const report = await runSync({
      store,
      upstream: { baseUrl: simulator.url, token: TOKEN, pageSize: 20, concurrency: 2 },
    });
    const { tables } = await store.stats();
    return { stateBefore, report, tables };
  } finally {
    await store.close();
  }
}

describe('interrupted sync', () => {
  it('resumes after a real kill -9 with exactly the rows of a clean run', async () => {
    const database = join(dir, 'data.db');
    const run = startCliSync(database);
    await waitForViewsRequests(40);
    run.child.kill('SIGKILL');
    expect(await run.exit).toBe(-1);

    const { stateBefore, report, tables } = await resumeAndCount(database);
    expect(stateBefore).toMatchObject({ status: 'running' });
    expect(stateBefore!.nextPage).toBeGreaterThan(1);
    const views = report.sources.find((s) => s.source === 'views')!;
    expect(views.startPage).toBe(stateBefore!.nextPage);
    expect(report.ok).toBe(true);
    const expected = simulator.expectedValidCounts();
    expect(tables).toMatchObject({
      User: expected.users,
      Post: expected.posts,
      PostView: expected.views,
      PostLike: expected.likes,
      PostInspire: expected.inspires,
      PostRating: expected.ratings,
      PostSummary: expected.posts,
    });
  });

  it('stops cleanly on Ctrl-C (exit 130, report says aborted) and the next run completes it', async () => {
    const database = join(dir, 'data.db');
    const run = startCliSync(database);
    await waitForViewsRequests(30);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(run.output()).toMatch(/aborted/);

    const { stateBefore, report, tables } = await resumeAndCount(database);
    expect(stateBefore?.status).toBe('running');
    expect(report.ok).toBe(true);
    expect(tables.PostView).toBe(simulator.expectedValidCounts().views);
  });
});
