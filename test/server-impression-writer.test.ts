// The impression writer thread, on a real SQLite file and a real PostgreSQL database: the impression log
// of a serving process writes its batches from a thread with its own connection, never through the
// serving thread's store (here closed, so a write through it would fail); a batch that cannot be written
// is kept and written once the database takes it; close() writes what is buffered.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { threadImpressionWriter } from '../src/server/impression-writer.js';
import { ImpressionLog } from '../src/server/impressions.js';
import { ServerMetrics } from '../src/server/metrics.js';
import { findImpression, type Impression } from '../src/store/impressions.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/types.js';
import { createScratchDatabase, storeBackends } from './support/store-backends.js';

const backends = await storeBackends();
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A migrated database of `dialect`: its URL, a store on it for the assertions. */
async function database(dialect: 'sqlite' | 'postgres'): Promise<{ url: string; store: Store }> {
  let url: string;
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'impression-writer-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    url = join(dir, 'data.db');
  } else {
    const scratch = await createScratchDatabase('impression_writer');
    cleanups.push(() => scratch.drop());
    url = scratch.url;
  }
  const store = await openStore(url);
  cleanups.push(() => store.close());
  return { url, store };
}

/** A store whose every use fails: what the log must never write through. */
async function closedStore(): Promise<Store> {
  const store = await openStore(':memory:');
  await store.close();
  return store;
}

const page = (userId: number, postIds: number[]) => ({ userId, route: 'feed', arm: 'hybrid', postIds });

const until = async (check: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe.each(backends)('impression writer thread ($dialect)', ({ dialect, skipReason }) => {
  it.skipIf(skipReason !== null)('writes every batch from its own connection, in order', async () => {
    const { url, store } = await database(dialect);
    const log = new ImpressionLog({
      store: await closedStore(),
      metrics: new ServerMetrics({ processMetrics: false }),
      writer: threadImpressionWriter({ database: url }),
      flushMs: 3_600_000,
    });
    const first = Array.from({ length: 1200 }, (_, i) => log.record(page(i, [i, i + 1, i + 2])));
    await log.flush();
    expect(log.buffered).toBe(0);
    const second = [log.record(page(7, [5, 4, 3]))];
    await log.close();
    for (const [i, recommId] of first.entries()) {
      if (i % 97 !== 0) continue;
      expect(await findImpression(store.db, recommId)).toMatchObject({
        userId: i,
        postIds: [i, i + 1, i + 2],
      });
    }
    expect(await findImpression(store.db, second[0]!)).toMatchObject({ userId: 7, postIds: [5, 4, 3] });
    const { n } = await store.db
      .selectFrom('FeedImpression')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(n)).toBe(1201);
    // Ids are time-ordered (UUIDv7), so the id index grows at its end.
    expect(first[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect([...first].sort()).toEqual(first);
  });
});

describe('impression writer thread on a database that refuses the write', () => {
  it('fails the batch with the reason, keeps it buffered, and writes it once the table exists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'impression-writer-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const url = join(dir, 'data.db');
    // The file exists but holds no tables yet.
    const bare = await openStore(url, { migrate: false });
    cleanups.push(() => bare.close());
    const warnings: unknown[] = [];
    const log = new ImpressionLog({
      store: await closedStore(),
      metrics: new ServerMetrics({ processMetrics: false }),
      writer: threadImpressionWriter({ database: url }),
      flushMs: 3_600_000,
      logger: { warn: (details: unknown) => warnings.push(details) } as never,
    });
    const recommId = log.record(page(3, [9]));
    await log.flush();
    expect(log.buffered).toBe(1);
    expect(JSON.stringify(warnings)).toMatch(/FeedImpression/);
    await bare.migrate();
    await until(async () => {
      await log.flush();
      return log.buffered === 0;
    });
    await log.close();
    const stored: Impression | null = await findImpression(bare.db, recommId);
    expect(stored).toMatchObject({ userId: 3, postIds: [9] });
  });
});

describe('impression writer thread on a database it cannot open', () => {
  it('fails each write with the reason the database gave', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'impression-writer-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // A folder where the database file should be: SQLite cannot open it.
    const writer = threadImpressionWriter({ database: dir });
    const batch: Impression[] = [{ recommId: 'r1', userId: 1, route: 'feed', arm: 'a', postIds: [1], at: 0 }];
    await expect(writer.write(batch)).rejects.toThrow(/cannot open SQLite database/);
    await expect(writer.write(batch)).rejects.toThrow(/cannot open SQLite database/);
    await writer.close();
  });
});
