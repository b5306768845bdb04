// Runs the store's versioned migrations with Kysely's Migrator from an in-code provider.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { describeError, FeedError } from '../../shared/errors.js';
import type { Dialect } from '../types.js';
import { migration0001 } from './0001_initial.js';
import { migration0002 } from './0002_feed_events.js';
import { migration0003 } from './0003_model_snapshots.js';
import { migration0004 } from './0004_run_history.js';
import { migration0005 } from './0005_event_idempotency.js';
import { migration0006 } from './0006_impressions.js';
import { migration0007 } from './0007_tuned_configs.js';
import { migration0008 } from './0008_dashboard_sessions.js';
import type { StoreMigration } from './types.js';

/** Every migration, by name; names sort in the order they run. Append only. */
export const MIGRATIONS: Readonly<Record<string, StoreMigration>> = {
  '0001_initial': migration0001,
  '0002_feed_events': migration0002,
  '0003_model_snapshots': migration0003,
  '0004_run_history': migration0004,
  '0005_event_idempotency': migration0005,
  '0006_impressions': migration0006,
  '0007_tuned_configs': migration0007,
  '0008_dashboard_sessions': migration0008,
};

/** Serves `MIGRATIONS` to Kysely's Migrator, bound to one dialect. */
export class InCodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const context = { dialect: this.dialect };
    return Object.fromEntries(
      Object.entries(MIGRATIONS).map(([name, m]) => [
        name,
        { up: (db: Kysely<unknown>) => m.up(db, context) } satisfies Migration,
      ]),
    );
  }
}

export interface RunMigrationsOptions {
  /** PostgreSQL schema that holds Kysely's migration tables (the store's own schema). */
  schema?: string;
}

/**
 * Applies pending migrations; a no-op when the database is current.
 * @example await runMigrations(store.db, 'sqlite');
 */
export async function runMigrations(
  db: Kysely<unknown>,
  dialect: Dialect,
  { schema }: RunMigrationsOptions = {},
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new InCodeMigrationProvider(dialect),
    // Numbers are handed out to work landing in parallel (0006 may land before 0005): a database migrated
    // meanwhile then sees an older-numbered migration appear. Each migration creates its own tables (or columns), so
    // running the late one is safe; refusing it would strand that database.
    allowUnorderedMigrations: true,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (error === undefined) return;
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    if (failed === undefined && attempt < SETUP_ATTEMPTS && otherSchemaDropped(error, schema)) {
      await sleep(50 * attempt);
      continue;
    }
    throw new FeedError(
      'store_failed',
      `database migration ${failed ?? '(setup)'} failed: ${describeError(error)}`,
      { cause: error },
    );
  }
}

/** Tries of the Migrator's setup when it trips over another schema being dropped meanwhile. */
const SETUP_ATTEMPTS = 4;

/**
 * True for PostgreSQL's "schema … does not exist" (3F000) or "relation "schema.table" does not exist"
 * (42P01) naming a schema other than ours: Kysely's Migrator lists the tables of every schema in the
 * database (has_schema_privilege, pg_get_serial_sequence per row), which fails when another client drops
 * a schema or table during that scan. Nothing has run yet then.
 */
function otherSchemaDropped(error: unknown, ours: string | undefined): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = describeError(error);
  const named =
    code === '3F000'
      ? /schema "([^"]+)" does not exist/.exec(message)?.[1]
      : code === '42P01'
        ? /relation "([^".]+)\.[^"]+" does not exist/.exec(message)?.[1]
        : undefined;
  return named !== undefined && named !== ours;
}
