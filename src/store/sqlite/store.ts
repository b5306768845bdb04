// The default store: one SQLite file (WAL mode) through better-sqlite3, Kysely for queries and migrations.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { describeError, FeedError } from '../../shared/errors.js';
import type { InteractionSource, SourceName, SourceRecords } from '../../upstream/sources.js';
import { INTERACTION_TABLES, SOURCE_SPECS, SUMMARY_SPEC, type TableSpec } from '../columns.js';
import { runMigrations } from '../migrations/index.js';
import type { Database as Schema, SyncStateTable } from '../schema.js';
import { computeStats } from '../stats.js';
import {
  assertPageSize,
  assertPositiveInteger,
  planBeginSync,
  planCompleteSync,
  SYNC_STATE_COLUMNS,
  syncStateFromRow,
  syncStateToRow,
} from '../sync-state.js';
import type { PageCheckpoint, PostSummaryRow, Store, StoreStats, SyncState, WriteResult } from '../types.js';
import { deferIndexes, restoreIndexes } from './deferred-indexes.js';
import { SqliteUpserter } from './upsert.js';

export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock before failing (ms). */
  busyTimeoutMs?: number;
  /** Page cache per connection (MiB). */
  cacheSizeMiB?: number;
  /** Open an existing file read-only (no migrations, no writes). */
  readonly?: boolean;
  /**
   * Load an empty interaction table without its user_id/post_id indexes and rebuild them when the pass
   * completes (see deferred-indexes.ts). Off: indexes are maintained row by row, which in WAL mode made
   * a 2M-row load ~30× slower here (~35k instead of ~1M rows/s).
   */
  deferIndexes?: boolean;
  /** Clock for sync-state times (tests). */
  now?: () => Date;
}

/**
 * Opens (creating the file and its folder if missing) a SQLite store. Call `migrate()` before use, or
 * use `openStore`, which does.
 * @example const store = await openSqliteStore('data.db'); await store.migrate();
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  return new SqliteStore(path, options);
}

export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly db: Kysely<Schema>;
  /** The better-sqlite3 handle, for bulk paths that bypass Kysely. */
  readonly sqlite: Database.Database;
  private readonly now: () => Date;
  private readonly deferIndexesOnLoad: boolean;
  private readonly upserters = new Map<TableSpec, SqliteUpserter>();
  private statements: ReturnType<typeof prepareStatements> | undefined;
  private closed = false;

  constructor(
    readonly path: string,
    {
      busyTimeoutMs = 5000,
      cacheSizeMiB = 64,
      readonly = false,
      deferIndexes = true,
      now = () => new Date(),
    }: SqliteStoreOptions = {},
  ) {
    const inMemory = path === ':memory:' || path === '';
    try {
      if (!inMemory && !readonly) mkdirSync(dirname(resolve(path)), { recursive: true });
      this.sqlite = new Database(path, { timeout: busyTimeoutMs, readonly, fileMustExist: readonly });
    } catch (error) {
      throw new FeedError('store_failed', `cannot open SQLite database ${path}: ${describeError(error)}`, {
        cause: error,
      });
    }
    if (!readonly) {
      this.sqlite.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a process crash; only power loss can drop the last ones.
      this.sqlite.pragma('synchronous = NORMAL');
    }
    this.sqlite.pragma(`cache_size = ${-Math.round(cacheSizeMiB * 1024)}`);
    this.sqlite.pragma('temp_store = MEMORY');
    this.now = now;
    this.deferIndexesOnLoad = deferIndexes;
    this.db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: this.sqlite }) });
  }

  async migrate(): Promise<void> {
    await runMigrations(this.db as Kysely<unknown>, 'sqlite');
    // Statements prepared against the old schema are prepared again on next use.
    this.statements = undefined;
    this.upserters.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
    if (this.sqlite.open) this.sqlite.close();
  }

  async writePage<S extends SourceName>(
    source: S,
    records: readonly SourceRecords[S][],
    checkpoint: PageCheckpoint,
  ): Promise<WriteResult> {
    assertPositiveInteger('checkpoint page', checkpoint.page);
    assertPositiveInteger('checkpoint pageSize', checkpoint.pageSize);
    return this.guard(`writing page ${checkpoint.page} of ${source}`, () => {
      const upserter = this.upserter(SOURCE_SPECS[source]);
      const st = this.prepared();
      const startedAt = this.now().toISOString();
      const changed = this.writeTransaction(() => {
        const n = upserter.write(records as readonly Readonly<Record<string, unknown>>[]);
        st.checkpoint.run(source, checkpoint.page + 1, checkpoint.pageSize, startedAt);
        return n;
      });
      return { changed, unchanged: records.length - changed };
    });
  }

  async writeSummaries(rows: readonly PostSummaryRow[]): Promise<WriteResult> {
    return this.guard('writing PostSummary rows', () => {
      const upserter = this.upserter(SUMMARY_SPEC);
      const changed = this.writeTransaction(() =>
        upserter.write(rows as unknown as readonly Readonly<Record<string, unknown>>[]),
      );
      return { changed, unchanged: rows.length - changed };
    });
  }

  async getSyncState(source: SyncState['source']): Promise<SyncState | null> {
    return this.guard(`reading the sync state of ${source}`, () => {
      const row = this.prepared().getState.get(source) as SyncStateTable | undefined;
      return row === undefined ? null : syncStateFromRow(row);
    });
  }

  async beginSync(source: SyncState['source'], pageSize: number): Promise<SyncState> {
    assertPageSize(pageSize);
    return this.guard(`beginning a sync of ${source}`, () => {
      const st = this.prepared();
      return this.writeTransaction(() => {
        const previous = st.getState.get(source) as SyncStateTable | undefined;
        const { state, fresh } = planBeginSync(
          previous === undefined ? null : syncStateFromRow(previous),
          source,
          pageSize,
          this.now().toISOString(),
        );
        if (fresh) st.putState.run(...SYNC_STATE_COLUMNS.map((c) => syncStateToRow(state)[c]));
        const table = interactionTable(source);
        if (fresh && this.deferIndexesOnLoad && table !== undefined) {
          if (this.sqlite.prepare(`SELECT 1 FROM "${table}" LIMIT 1`).get() === undefined) {
            deferIndexes(this.sqlite, table);
          }
        }
        return state;
      });
    });
  }

  async completeSync(source: SyncState['source'], recordCount: number): Promise<void> {
    this.guard(`completing the sync of ${source}`, () => {
      const st = this.prepared();
      this.writeTransaction(() => {
        const previous = st.getState.get(source) as SyncStateTable | undefined;
        const state = planCompleteSync(
          previous === undefined ? null : syncStateFromRow(previous),
          source,
          recordCount,
          this.now().toISOString(),
        );
        st.putState.run(...SYNC_STATE_COLUMNS.map((c) => syncStateToRow(state)[c]));
        const table = interactionTable(source);
        if (table !== undefined) restoreIndexes(this.sqlite, table);
      });
    });
  }

  /**
   * Rebuilds every index a bulk load deferred (normally done when its pass completes); returns their
   * names. Useful after an interrupted sync that will not be resumed.
   */
  restoreIndexes(): string[] {
    return this.guard('rebuilding deferred indexes', () => restoreIndexes(this.sqlite));
  }

  async countUsers(): Promise<number> {
    return this.guard('counting users', () =>
      Number(this.sqlite.prepare('SELECT count(*) FROM "User"').pluck().get()),
    );
  }

  async stats(): Promise<StoreStats> {
    try {
      return await computeStats(this.db);
    } catch (error) {
      throw this.failure('reading stats', error);
    }
  }

  /**
   * Runs `work` in a write transaction that begins IMMEDIATE: the write lock is taken up front, waiting
   * up to the busy timeout. These transactions read before they write (a sync's state), and a deferred
   * one would start as a reader: in WAL mode its first write then fails at once with "database is
   * locked" (no wait) whenever another connection committed meanwhile — which a serving process's
   * impression writer does every second.
   */
  private writeTransaction<T>(work: () => T): T {
    return this.sqlite.transaction(work).immediate();
  }

  /** Runs `work`, turning any database error into a FeedError naming what failed and the file. */
  private guard<T>(what: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  private failure(what: string, error: unknown): FeedError {
    if (error instanceof FeedError) return error;
    return new FeedError('store_failed', `${what} in SQLite ${this.path} failed: ${describeError(error)}`, {
      cause: error,
    });
  }

  private upserter(spec: TableSpec): SqliteUpserter {
    let upserter = this.upserters.get(spec);
    if (upserter === undefined) {
      upserter = new SqliteUpserter(this.sqlite, spec);
      this.upserters.set(spec, upserter);
    }
    return upserter;
  }

  private prepared(): ReturnType<typeof prepareStatements> {
    this.statements ??= prepareStatements(this.sqlite);
    return this.statements;
  }
}

/** The interaction table a source fills, or undefined for users, posts and summaries. */
function interactionTable(source: SyncState['source']): string | undefined {
  return source in INTERACTION_TABLES ? INTERACTION_TABLES[source as InteractionSource].table : undefined;
}

function prepareStatements(db: Database.Database) {
  const columns = SYNC_STATE_COLUMNS.map((c) => `"${c}"`).join(', ');
  const updates = SYNC_STATE_COLUMNS.slice(1)
    .map((c) => `"${c}" = excluded."${c}"`)
    .join(', ');
  return {
    getState: db.prepare('SELECT * FROM sync_state WHERE source = ?'),
    putState: db.prepare(
      `INSERT INTO sync_state (${columns}) VALUES (${SYNC_STATE_COLUMNS.map(() => '?').join(', ')}) ` +
        `ON CONFLICT (source) DO UPDATE SET ${updates}`,
    ),
    // A page written outside beginSync still leaves a running pass to resume.
    checkpoint: db.prepare(
      `INSERT INTO sync_state (source, status, next_page, page_size, started_at) VALUES (?, 'running', ?, ?, ?) ` +
        `ON CONFLICT (source) DO UPDATE SET status = 'running', next_page = excluded.next_page, page_size = excluded.page_size`,
    ),
  };
}
