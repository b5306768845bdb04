// Runs the store's versioned migrations with Kysely's Migrator from an in-code provider.
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { describeError, FeedError } from '../../shared/errors.js';
import type { Dialect } from '../types.js';
import { migration0001 } from './0001_initial.js';
import { migration0002 } from './0002_feed_events.js';
import { migration0003 } from './0003_model_snapshots.js';
import type { StoreMigration } from './types.js';

/** Every migration, by name; names sort in the order they run. Append only. */
export const MIGRATIONS: Readonly<Record<string, StoreMigration>> = {
  '0001_initial': migration0001,
  '0002_feed_events': migration0002,
  '0003_model_snapshots': migration0003,
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
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new FeedError(
      'store_failed',
      `database migration ${failed ?? '(setup)'} failed: ${describeError(error)}`,
      { cause: error },
    );
  }
}
