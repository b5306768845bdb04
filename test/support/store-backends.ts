// Test support for the storage suites: one fresh store per test on each dialect, and small records.
//
// SQLite: a new file in a temp folder. PostgreSQL: a uniquely named schema on
// postgres://postgres@127.0.0.1:5432/test (STORE_TEST_PG_URL overrides), dropped afterwards; when no
// server answers, the PostgreSQL runs are skipped with a message saying so.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/store.js';
import { openSqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/store.js';
import type { Dialect, Store } from '../../src/store/types.js';

export const PG_URL = process.env.STORE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Backend {
  dialect: Dialect;
  /** Why this dialect is skipped, or null when it runs. */
  skipReason: string | null;
}

async function postgresSkipReason(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL not reachable at ${PG_URL} (${(error as Error).message}): PostgreSQL store tests skipped`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Both dialects, each with a skip reason (PostgreSQL's when no server answers). */
export async function storeBackends(): Promise<Backend[]> {
  const reason = await postgresSkipReason();
  if (reason !== null) console.warn(reason);
  return [
    { dialect: 'sqlite', skipReason: null },
    { dialect: 'postgres', skipReason: reason },
  ];
}

export type TestStoreOptions = SqliteStoreOptions & PostgresStoreOptions & { migrate?: boolean };

/** Opens fresh, migrated stores of one dialect and removes everything they made in `cleanup`. */
export class StoreFactory {
  private readonly cleanups: (() => Promise<void>)[] = [];

  constructor(readonly dialect: Dialect) {}

  async open(options: TestStoreOptions = {}): Promise<Store> {
    const { migrate = true, ...rest } = options;
    const store = await this.openRaw(rest);
    if (migrate) await store.migrate();
    return store;
  }

  /** A second store over the same database as the last one opened (SQLite file / PG schema). */
  async reopen(options: TestStoreOptions = {}): Promise<Store> {
    if (this.last === undefined) throw new Error('nothing opened yet');
    const { migrate = true, ...rest } = options;
    const store =
      this.dialect === 'sqlite'
        ? await openSqliteStore(this.last, rest)
        : await openPostgresStore(PG_URL, { ...rest, schema: this.last });
    this.cleanups.unshift(() => store.close());
    if (migrate) await store.migrate();
    return store;
  }

  private last: string | undefined;

  private async openRaw(options: SqliteStoreOptions & PostgresStoreOptions): Promise<Store> {
    if (this.dialect === 'sqlite') {
      const dir = await mkdtemp(join(tmpdir(), 'store-test-'));
      this.last = join(dir, 'data.db');
      const store = await openSqliteStore(this.last, options);
      this.cleanups.push(async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      });
      return store;
    }
    const schema = `store_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    this.last = schema;
    const store = await openPostgresStore(PG_URL, { ...options, schema, maxConnections: 4 });
    this.cleanups.push(async () => {
      await store.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    });
    return store;
  }

  async cleanup(): Promise<void> {
    const work = this.cleanups.splice(0);
    for (const fn of work) await fn();
  }
}

// --- small hand-built records ------------------------------------------------------------------

export function user(id: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    first_name: 'User',
    last_name: String(id),
    username: `user_${id}`,
    email: `user_${id}@example.com`,
    'instagram-url': `https://instagram.example/user_${id}`,
    isVerified: false,
    is_verified: true,
    last_login: '2024-04-19 11:26:55',
    follower_count: 3,
    hourly_rate: 12.5,
    latitude: '',
    longitude: 12.25,
    ...extra,
  };
}

export function post(id: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    title: `post #${id}`,
    slug: `post-${id}`,
    category: { id: 6, name: 'Food', count: 303, description: 'Food videos', image_url: '' },
    topic: { id: 1, name: 'EmpowerVerse', project_code: 'flic', owner: { username: 'empowerverse' } },
    upvote_count: 20,
    average_rating: 62.5,
    chain_id: '',
    baseToken: { address: '', name: '', symbol: '', image_url: '' },
    is_locked: false,
    created_at: 1704876421000,
    username: 'studio_food',
    tags: ['spices', 'cooking'],
    source_matrix: {},
    post_summary: {
      description: `post ${id}: food video`,
      keywords: [{ keyword: 'Food' }, { keyword: 'spices' }],
      no_of_person_in_video: 1,
    },
    ...extra,
  };
}

export const view = (id: number, user_id: number, post_id: number, viewed_at = '2024-01-31 03:43:47') => ({
  id,
  user_id,
  post_id,
  viewed_at,
});
export const like = (id: number, user_id: number, post_id: number, liked_at = '2024-01-31 03:43:47') => ({
  id,
  user_id,
  post_id,
  liked_at,
});
export const inspire = (
  id: number,
  user_id: number,
  post_id: number,
  inspired_at = '2024-01-31 03:43:47',
) => ({
  id,
  user_id,
  post_id,
  inspired_at,
});
export const rating = (
  id: number,
  user_id: number,
  post_id: number,
  rating_percent = 60,
  rated_at = '2024-01-31 03:43:47',
) => ({ id, user_id, post_id, rating_percent, rated_at });

/** `record` with every known field it lacks set to null: what a load* function returns for it. */
export function withNulls(known: Iterable<string>, record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of known) out[field] = null;
  return { ...out, ...record };
}

/** A database on the test server for one suite. */
export interface ScratchDatabase {
  url: string;
  /** Drops it (with FORCE: connections still open are cut). */
  drop(): Promise<void>;
}

/** Runs one statement on the test server's own database (to create and drop suites' databases). */
async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * A new, uniquely named database on the test server (`<prefix>_<pid>_<random>`), for suites that start
 * processes of their own on one database (a schema would not be shared with them by URL).
 */
export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const parsed = new URL(PG_URL);
  parsed.pathname = `/${name}`;
  return { url: parsed.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
