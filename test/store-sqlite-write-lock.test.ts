// SQLite write transactions beside another writer: while a second connection commits as fast as it can
// (as a serving process's impression writer does), the store's read-then-write transactions (a sync's
// begin and complete) wait for the lock instead of failing with "database is locked".
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';

let dir: string | undefined;
let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A thread committing one-row transactions on `path` until `ms` have passed; resolves with the count. */
function busyWriter(path: string, ms: number): { started: Promise<void>; done: Promise<number> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require('better-sqlite3');
     const db = new Database(workerData.path, { timeout: 5000 });
     const insert = db.prepare("INSERT INTO FeedImpression (recomm_id, user_id, route, arm, posts, created_at) VALUES (?, 1, 'feed', 'a', '1', 0)");
     parentPort.postMessage('started');
     const end = Date.now() + workerData.ms;
     let n = 0;
     while (Date.now() < end) insert.run('w' + n++);
     db.close();
     parentPort.postMessage(n);`,
    { eval: true, workerData: { path, ms } },
  );
  let started!: () => void;
  const startedPromise = new Promise<void>((resolve) => {
    started = resolve;
  });
  const done = new Promise<number>((resolve, reject) => {
    worker.on('message', (m: string | number) => (m === 'started' ? started() : resolve(m as number)));
    worker.on('error', reject);
  });
  return { started: startedPromise, done };
}

describe('SQLite write transactions', () => {
  it('wait for another connection that keeps committing, and none fails', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sqlite-lock-'));
    const path = join(dir, 'data.db');
    store = await openSqliteStore(path);
    await store.migrate();
    const writer = busyWriter(path, 1500);
    await writer.started;
    let cycles = 0;
    const failures: string[] = [];
    const end = Date.now() + 1200;
    while (Date.now() < end) {
      try {
        await store.beginSync('users', 100);
        await store.completeSync('users', cycles);
      } catch (error) {
        failures.push((error as Error).message);
      }
      cycles++;
    }
    const commits = await writer.done;
    expect(commits).toBeGreaterThan(100);
    expect(cycles).toBeGreaterThan(50);
    expect(failures).toEqual([]);
    expect(await store.getSyncState('users')).toMatchObject({
      status: 'complete',
      lastRecordCount: cycles - 1,
    });
  });
});
