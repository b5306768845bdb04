// Opens the store a database URL names: PostgreSQL for postgres:// URLs, else a SQLite file; migrates it.
import { FeedError } from '../shared/errors.js';
import { openPostgresStore, type PostgresStoreOptions, redactDatabaseUrl } from './postgres/store.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
import type { Dialect, Store } from './types.js';

export interface OpenStoreOptions extends SqliteStoreOptions, PostgresStoreOptions {
  /** Apply pending migrations on open (skipped for a read-only SQLite store). */
  migrate?: boolean;
}

/**
 * SQLite page cache (MiB per connection) for the serving process's own connections: its lookups hit a
 * few pages each and the OS keeps the file's pages cached anyway, while every MiB here stays resident
 * beside the snapshot (the default of 64 MiB, right for syncs and builds, cost ~40 MB of serve RSS).
 */
export const SERVING_PAGE_CACHE_MIB = 8;

/** Where a database URL points: a dialect and, for SQLite, the file path. */
export type DatabaseTarget = { dialect: 'postgres'; url: string } | { dialect: 'sqlite'; path: string };

/**
 * Parses a database URL. `postgres://` / `postgresql://` → PostgreSQL; `file:PATH`, `sqlite:PATH`, a plain
 * path, or `:memory:` → SQLite. Anything else with a URL scheme is refused.
 * @example parseDatabaseUrl('data.db') // { dialect: 'sqlite', path: 'data.db' }
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const text = url.trim();
  if (text === '') {
    throw new FeedError(
      'config_invalid',
      'database URL is empty: expected a SQLite file path (e.g. data.db, file:data.db) or postgres://user@host:port/db',
    );
  }
  if (/^postgres(ql)?:\/\//i.test(text)) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new FeedError(
        'config_invalid',
        `database URL ${redactDatabaseUrl(text)} is not a valid postgres:// URL`,
      );
    }
    if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
      throw new FeedError(
        'config_invalid',
        `database URL ${redactDatabaseUrl(text)} names no host: expected postgres://user@host:port/db`,
      );
    }
    return { dialect: 'postgres', url: text };
  }
  const prefixed = /^(file|sqlite):/i.exec(text);
  if (prefixed) {
    let path = text.slice(prefixed[0].length);
    // file:///abs/path and file://localhost/abs/path are absolute; file:rel/path is relative.
    if (path.startsWith('//')) path = path.replace(/^\/\/(localhost)?/, '');
    path = path.split('?')[0] ?? '';
    if (path === '') throw new FeedError('config_invalid', `database URL ${text} names no SQLite file`);
    return { dialect: 'sqlite', path: decodeURIComponent(path) };
  }
  // A scheme of two or more letters (one letter is a Windows drive) that we do not speak.
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(text);
  if (scheme && text !== ':memory:') {
    throw new FeedError(
      'config_invalid',
      `unsupported database URL scheme "${scheme[1]}:": expected postgres://, postgresql://, file: or a SQLite file path`,
    );
  }
  return { dialect: 'sqlite', path: text };
}

/** True when `url` names an in-memory SQLite database: one only its own connection can reach. */
export function isInMemoryDatabase(url: string): boolean {
  const target = parseDatabaseUrl(url);
  return target.dialect === 'sqlite' && target.path === ':memory:';
}

/**
 * Opens and migrates the store `url` names (see `parseDatabaseUrl`).
 * @example const store = await openStore(process.env.DATABASE_URL ?? 'data.db'); try { … } finally { await store.close(); }
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const { migrate = true, ...rest } = options;
  const target = parseDatabaseUrl(url);
  const store: Store & { readonly dialect: Dialect } =
    target.dialect === 'postgres'
      ? await openPostgresStore(target.url, rest)
      : await openSqliteStore(target.path, rest);
  if (migrate && !(target.dialect === 'sqlite' && rest.readonly)) {
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}
