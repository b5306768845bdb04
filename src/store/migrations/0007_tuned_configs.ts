// Migration 0007: `TunedConfig`, one row per `empowerverse tune` on this database: the winning build
// options, the validation metrics of the defaults and of the winner (JSON), how many trials the search ran
// within its time budget, and the sync watermark of the data it tuned on. The newest row is the
// configuration builds use. Frozen: later changes go in new numbered migrations.
import { columnTypes, type StoreMigration } from './types.js';

export const migration0007: StoreMigration = {
  async up(db, { dialect }) {
    const t = columnTypes(dialect);
    const table = db.schema.createTable('TunedConfig').ifNotExists();
    await (dialect === 'postgres'
      ? table.addColumn('id', 'bigserial', (c) => c.primaryKey())
      : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    )
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('options', 'text', (c) => c.notNull())
      .addColumn('baseline', 'text', (c) => c.notNull())
      .addColumn('tuned', 'text', (c) => c.notNull())
      .addColumn('trials', t.int, (c) => c.notNull())
      .addColumn('budget_seconds', t.float)
      .addColumn('watermark', 'text', (c) => c.notNull())
      .execute();
  },
};
