// Migration 0004: the history of batch runs the dashboard shows. `SyncRun`: one row per finished sync
// (whoever ran it: the CLI, the server's admin or interval sync), with its per-source figures as JSON.
// `EvalRun`: one row per `empowerverse eval --db` on this database, with the whole report as JSON. Both
// have the store's own autoincrement id; JSON goes in plain text columns (read back the same on both
// dialects). Frozen: later changes go in new numbered migrations.
import type { Kysely } from 'kysely';
import type { Dialect } from '../types.js';
import { columnTypes, type StoreMigration } from './types.js';

/** A `create table` with an autoincrement `id` primary key on either dialect. */
function tableWithId(db: Kysely<unknown>, dialect: Dialect, name: string) {
  const table = db.schema.createTable(name).ifNotExists();
  return dialect === 'postgres'
    ? table.addColumn('id', 'bigserial', (c) => c.primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

export const migration0004: StoreMigration = {
  async up(db, { dialect }) {
    const t = columnTypes(dialect);
    await tableWithId(db, dialect, 'SyncRun')
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text', (c) => c.notNull())
      .addColumn('duration_ms', t.int, (c) => c.notNull())
      .addColumn('records', t.int, (c) => c.notNull())
      .addColumn('changed', t.int, (c) => c.notNull())
      .addColumn('invalid', t.int, (c) => c.notNull())
      .addColumn('errors', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('sources', 'text', (c) => c.notNull())
      .execute();
    await tableWithId(db, dialect, 'EvalRun')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('options', 'text', (c) => c.notNull())
      .addColumn('report', 'text', (c) => c.notNull())
      .execute();
  },
};
