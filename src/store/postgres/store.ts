// The PostgreSQL store: a pg Pool shared by Kysely (queries, migrations) and raw bulk upserts.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { describeError, FeedError } from '../../shared/errors.js';
import type { SourceName, SourceRecords } from '../../upstream/sources.js';
import { SOURCE_SPECS, SUMMARY_SPEC, type TableSpec } from '../columns.js';
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
import { postgresUpsertParams, postgresUpsertSql } from './upsert.js';

export interface PostgresStoreOptions {
  /**
   * Schema holding the tables (created by `migrate()` if missing); sets the pool's `search_path`.
   * Default: the server's (usually `public`), or whatever the URL's `options` set.
   */
  schema?: string;
  /** Pool size. */
  maxConnections?: number;
  /**
   * How long a query waits for a connection (a new one, or a free pool slot) before it fails as
   * unreachable; default 10 s. Without it a black-holed server would hold requests for minutes.
   */
  connectTimeoutMs?: number;
  /** Clock for sync-state times (tests). */
  now?: () => Date;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** `url` with its password masked, for messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

/**
 * Type parsers of this store's pool: bigint and numeric come back as JS numbers (ids and epoch ms are
 * safe integers), json/jsonb as their text, so rows read the same as from SQLite.
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format === undefined || format === 'text') {
      if (oid === 20 || oid === 1700) return (v: string) => Number(v);
      if (oid === 114 || oid === 3802) return (v: string) => v;
    }
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/**
 * Opens a PostgreSQL store (connections are made on first use). Call `migrate()` before use, or use
 * `openStore`, which does.
 * @example const store = await openPostgresStore('postgres://app@127.0.0.1:5432/feed'); await store.migrate();
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  return new PostgresStore(url, options);
}

export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly db: Kysely<Schema>;
  readonly pool: pg.Pool;
  private readonly schema: string | undefined;
  private readonly now: () => Date;
  private readonly upsertSql = new Map<TableSpec, string>();
  private closed = false;

  constructor(
    private readonly url: string,
    {
      schema,
      maxConnections = 10,
      connectTimeoutMs = 10_000,
      now = () => new Date(),
    }: PostgresStoreOptions = {},
  ) {
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new FeedError(
        'config_invalid',
        `PostgreSQL schema must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*), got "${schema}"`,
      );
    }
    this.schema = schema;
    this.now = now;
    this.pool = new pg.Pool({
      connectionString: url,
      max: maxConnections,
      connectionTimeoutMillis: connectTimeoutMs,
      // Dead peers are noticed on idle connections too (a LISTEN connection is idle most of the time).
      keepAlive: true,
      types: TYPES,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // A client losing its connection must not crash the process; the next query on it reports it. The
    // pool only listens on idle clients: one checked out between two queries (a transaction, a LISTEN
    // connection being released) or already destroyed, whose socket then reports ECONNRESET, would emit
    // 'error' with no listener. So every client gets a listener of its own for its whole life.
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => {
      client.on('error', () => {});
    });
    this.db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: this.pool }) });
  }

  async migrate(): Promise<void> {
    try {
      if (this.schema !== undefined) await this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      const schema =
        this.schema ?? (await this.pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s;
      await runMigrations(this.db as Kysely<unknown>, 'postgres', schema === undefined ? {} : { schema });
    } catch (error) {
      if (error instanceof FeedError) throw error;
      throw this.failure('migrating', error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
    if (!this.pool.ended) await this.pool.end();
  }

  async writePage<S extends SourceName>(
    source: S,
    records: readonly SourceRecords[S][],
    checkpoint: PageCheckpoint,
  ): Promise<WriteResult> {
    assertPositiveInteger('checkpoint page', checkpoint.page);
    assertPositiveInteger('checkpoint pageSize', checkpoint.pageSize);
    const spec = SOURCE_SPECS[source];
    const startedAt = this.now().toISOString();
    try {
      const changed = await this.transaction(async (client) => {
        const n = await this.upsert(client, spec, records as readonly Readonly<Record<string, unknown>>[]);
        // A page written outside beginSync still leaves a running pass to resume.
        await client.query(
          `INSERT INTO sync_state (source, status, next_page, page_size, started_at) VALUES ($1, 'running', $2, $3, $4)
           ON CONFLICT (source) DO UPDATE SET status = 'running', next_page = EXCLUDED.next_page, page_size = EXCLUDED.page_size`,
          [source, checkpoint.page + 1, checkpoint.pageSize, startedAt],
        );
        return n;
      });
      return { changed, unchanged: records.length - changed };
    } catch (error) {
      throw this.failure(`writing page ${checkpoint.page} of ${source}`, error);
    }
  }

  async writeSummaries(rows: readonly PostSummaryRow[]): Promise<WriteResult> {
    try {
      const changed = await this.transaction((client) =>
        this.upsert(client, SUMMARY_SPEC, rows as unknown as readonly Readonly<Record<string, unknown>>[]),
      );
      return { changed, unchanged: rows.length - changed };
    } catch (error) {
      throw this.failure('writing PostSummary rows', error);
    }
  }

  async getSyncState(source: SyncState['source']): Promise<SyncState | null> {
    const row = await this.db
      .selectFrom('sync_state')
      .selectAll()
      .where('source', '=', source)
      .executeTakeFirst();
    return row === undefined ? null : syncStateFromRow(row);
  }

  async beginSync(source: SyncState['source'], pageSize: number): Promise<SyncState> {
    assertPageSize(pageSize);
    return this.transaction(async (client) => {
      const previous = await this.lockState(client, source);
      const { state, fresh } = planBeginSync(previous, source, pageSize, this.now().toISOString());
      if (fresh) await this.putState(client, state);
      return state;
    });
  }

  async completeSync(source: SyncState['source'], recordCount: number): Promise<void> {
    await this.transaction(async (client) => {
      const previous = await this.lockState(client, source);
      await this.putState(client, planCompleteSync(previous, source, recordCount, this.now().toISOString()));
    });
  }

  async countUsers(): Promise<number> {
    const row = await this.db
      .selectFrom('User')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async stats(): Promise<StoreStats> {
    return computeStats(this.db);
  }

  private async upsert(
    client: pg.PoolClient,
    spec: TableSpec,
    records: readonly Readonly<Record<string, unknown>>[],
  ): Promise<number> {
    if (records.length === 0) return 0;
    let sql = this.upsertSql.get(spec);
    if (sql === undefined) {
      sql = postgresUpsertSql(spec);
      this.upsertSql.set(spec, sql);
    }
    const result = await client.query(sql, postgresUpsertParams(spec, records));
    return result.rowCount ?? 0;
  }

  private async lockState(client: pg.PoolClient, source: string): Promise<SyncState | null> {
    const { rows } = await client.query<SyncStateTable>(
      'SELECT * FROM sync_state WHERE source = $1 FOR UPDATE',
      [source],
    );
    return rows[0] === undefined ? null : syncStateFromRow(rows[0]);
  }

  private async putState(client: pg.PoolClient, state: SyncState): Promise<void> {
    const row = syncStateToRow(state);
    const columns = SYNC_STATE_COLUMNS.join(', ');
    const updates = SYNC_STATE_COLUMNS.slice(1)
      .map((c) => `${c} = EXCLUDED.${c}`)
      .join(', ');
    await client.query(
      `INSERT INTO sync_state (${columns}) VALUES (${SYNC_STATE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (source) DO UPDATE SET ${updates}`,
      SYNC_STATE_COLUMNS.map((c) => row[c]),
    );
  }

  /** Runs `work` in one transaction on one pooled connection; rolls back if it throws. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      // A connection that cannot even roll back is discarded rather than returned to the pool.
      client.release(broken);
    }
  }

  private failure(what: string, error: unknown): FeedError {
    if (error instanceof FeedError) return error;
    return new FeedError(
      'store_failed',
      `${what} in PostgreSQL ${redactDatabaseUrl(this.url)} failed: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
}
