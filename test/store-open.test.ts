// Opening stores: database URLs, SQLite file setup (folder, WAL), PostgreSQL errors without secrets,
// and SQLite's deferred indexes during a bulk load.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedError } from '../src/shared/errors.js';
import { openStore, parseDatabaseUrl } from '../src/store/open.js';
import { loadPostViews } from '../src/store/queries.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';
import type { SourceRecords } from '../src/upstream/sources.js';
import { PG_URL, storeBackends, view } from './support/store-backends.js';

const backends = await storeBackends();
const pgSkip = backends.find((b) => b.dialect === 'postgres')?.skipReason ?? null;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-open-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<FeedError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FeedError);
  return error as FeedError;
}

describe('parseDatabaseUrl', () => {
  it.each([
    ['data.db', { dialect: 'sqlite', path: 'data.db' }],
    ['./var/feed/data.db', { dialect: 'sqlite', path: './var/feed/data.db' }],
    ['/abs/data.db', { dialect: 'sqlite', path: '/abs/data.db' }],
    ['file:data.db', { dialect: 'sqlite', path: 'data.db' }],
    ['file:///abs/my%20data.db', { dialect: 'sqlite', path: '/abs/my data.db' }],
    ['sqlite:rel/data.db', { dialect: 'sqlite', path: 'rel/data.db' }],
    [':memory:', { dialect: 'sqlite', path: ':memory:' }],
    ['C:\\feed\\data.db', { dialect: 'sqlite', path: 'C:\\feed\\data.db' }],
    ['postgres://u:p@db.local:5432/feed', { dialect: 'postgres', url: 'postgres://u:p@db.local:5432/feed' }],
    ['postgresql://127.0.0.1/feed', { dialect: 'postgres', url: 'postgresql://127.0.0.1/feed' }],
  ])('reads %s', (url, target) => {
    expect(parseDatabaseUrl(url)).toEqual(target);
  });

  it.each([
    ['', /database URL is empty/],
    [
      'mysql://root@127.0.0.1/feed',
      /unsupported database URL scheme "mysql:": expected postgres:\/\/, postgresql:\/\/, file:/,
    ],
    ['postgres:///feed', /names no host/],
    ['file:', /names no SQLite file/],
  ])('refuses %j with a config error', (url, message) => {
    let error: unknown;
    try {
      parseDatabaseUrl(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).code).toBe('config_invalid');
    expect((error as FeedError).message).toMatch(message);
  });
});

describe('openStore', () => {
  it('creates a missing SQLite file and its folders, migrated, in WAL mode with synchronous=NORMAL', async () => {
    const path = join(dir, 'nested', 'deeper', 'data.db');
    const store = (await openStore(`file:${path}`)) as SqliteStore;
    try {
      expect(store.dialect).toBe('sqlite');
      expect(existsSync(path)).toBe(true);
      expect(store.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.sqlite.pragma('synchronous', { simple: true })).toBe(1);
      expect(store.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(await store.countUsers()).toBe(0);
    } finally {
      await store.close();
    }
    // Opening it again finds the data and applies no migration twice.
    const again = await openStore(path);
    expect((await again.stats()).tables.User).toBe(0);
    await again.close();
  });

  it('opens an existing SQLite file read-only without migrating or writing', async () => {
    const path = join(dir, 'ro.db');
    const writer = await openStore(path);
    await writer.writePage('views', [view(1, 1, 1)] as SourceRecords['views'][], { page: 1, pageSize: 10 });
    await writer.close();
    const reader = await openStore(path, { readonly: true });
    expect((await loadPostViews(reader)).views).toEqual([view(1, 1, 1)]);
    await expect(
      reader.writePage('views', [view(2, 1, 1)] as SourceRecords['views'][], { page: 2, pageSize: 10 }),
    ).rejects.toThrow(/readonly/);
    await reader.close();
  });

  it('reports an unreachable PostgreSQL server as store_failed without the password', async () => {
    const error = await failure(openStore('postgres://feed:s3cret-pw@127.0.0.1:1/feed'));
    expect(error.code).toBe('store_failed');
    expect(error.message).toMatch(/127\.0\.0\.1:1/);
    expect(error.message).not.toContain('s3cret-pw');
  });

  it.skipIf(pgSkip !== null)(
    'opens and migrates PostgreSQL for a postgres:// URL, in the schema asked for',
    async () => {
      const schema = `store_open_${process.pid}_${Date.now().toString(36)}`;
      const store = await openStore(PG_URL, { schema });
      try {
        expect(store.dialect).toBe('postgres');
        expect(await store.countUsers()).toBe(0);
        await store.writePage('views', [view(1, 2, 3)] as SourceRecords['views'][], {
          page: 1,
          pageSize: 10,
        });
        expect((await loadPostViews(store)).views).toEqual([view(1, 2, 3)]);
      } finally {
        await store.close();
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      }
    },
  );
});

describe('SQLite bulk load with deferred indexes', () => {
  const indexes = (store: SqliteStore, table: string) =>
    (store.sqlite.prepare(`PRAGMA index_list("${table}")`).all() as { name: string; origin: string }[])
      .filter((i) => i.origin === 'c')
      .map((i) => i.name)
      .sort();
  const page = (store: SqliteStore, ids: number[], n: number) =>
    store.writePage('views', ids.map((id) => view(id, id % 7, id % 5)) as SourceRecords['views'][], {
      page: n,
      pageSize: 2,
    });
  const BOTH = ['PostView_post_id_idx', 'PostView_user_id_idx'];

  it('drops user_id/post_id indexes for a pass into an empty table and rebuilds them on completion', async () => {
    const store = await openSqliteStore(join(dir, 'bulk.db'));
    await store.migrate();
    try {
      expect(indexes(store, 'PostView')).toEqual(BOTH);
      await store.beginSync('views', 2);
      expect(indexes(store, 'PostView')).toEqual([]);
      await page(store, [1, 2], 1);
      await page(store, [3, 4], 2);
      // Queries stay correct without the indexes.
      expect((await loadPostViews(store, { userId: 3 })).views.map((v) => v.id)).toEqual([3]);
      await store.completeSync('views', 4);
      expect(indexes(store, 'PostView')).toEqual(BOTH);
      // Another pass over the now non-empty table keeps its indexes.
      await store.beginSync('views', 2);
      expect(indexes(store, 'PostView')).toEqual(BOTH);
    } finally {
      await store.close();
    }
  });

  it('keeps the indexes deferred across an interrupted pass and rebuilds them when it completes', async () => {
    const path = join(dir, 'resume.db');
    const first = await openSqliteStore(path);
    await first.migrate();
    await first.beginSync('views', 2);
    await page(first, [1, 2], 1);
    await first.close();

    const second = await openSqliteStore(path);
    await second.migrate();
    try {
      expect(await second.beginSync('views', 2)).toMatchObject({ nextPage: 2 });
      expect(indexes(second, 'PostView')).toEqual([]);
      await page(second, [3, 4], 2);
      await second.completeSync('views', 4);
      expect(indexes(second, 'PostView')).toEqual(BOTH);
      expect(indexes(second, 'PostLike')).toEqual(['PostLike_post_id_idx', 'PostLike_user_id_idx']);
    } finally {
      await second.close();
    }
  });

  it('restoreIndexes() rebuilds whatever an abandoned pass left deferred; deferIndexes: false keeps them', async () => {
    const store = await openSqliteStore(join(dir, 'abandoned.db'));
    await store.migrate();
    await store.beginSync('likes', 10);
    expect(indexes(store, 'PostLike')).toEqual([]);
    expect(store.restoreIndexes()).toEqual(['PostLike_post_id_idx', 'PostLike_user_id_idx']);
    expect(indexes(store, 'PostLike')).toEqual(['PostLike_post_id_idx', 'PostLike_user_id_idx']);
    await store.close();

    const keep = await openSqliteStore(join(dir, 'keep.db'), { deferIndexes: false });
    await keep.migrate();
    await keep.beginSync('inspires', 10);
    expect(indexes(keep, 'PostInspire')).toEqual(['PostInspire_post_id_idx', 'PostInspire_user_id_idx']);
    await keep.close();
  });
});
