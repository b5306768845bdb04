// Migration 0003: stored model snapshots. `ModelSnapshot` holds one artifact's metadata; its bytes are
// split over `ModelSnapshotChunk` rows (a few MiB each), so no single value approaches a driver's or a
// database's limits and a reader never needs the whole artifact in one row. Frozen.
import { columnTypes, type StoreMigration } from './types.js';

export const migration0003: StoreMigration = {
  async up(db, { dialect }) {
    const t = columnTypes(dialect);
    let table = db.schema.createTable('ModelSnapshot').ifNotExists();
    table =
      dialect === 'postgres'
        ? table.addColumn('id', 'bigserial', (c) => c.primaryKey())
        : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    await table
      .addColumn('format_version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('byte_size', t.int, (c) => c.notNull())
      .addColumn('chunk_count', 'integer', (c) => c.notNull())
      .addColumn('chunk_bytes', 'integer', (c) => c.notNull())
      .addColumn('checksum', 'text', (c) => c.notNull())
      .addColumn('header', 'text', (c) => c.notNull())
      .addColumn('complete', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('ModelSnapshotChunk')
      .ifNotExists()
      .addColumn('snapshot_id', t.int, (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('data', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
      .addPrimaryKeyConstraint('ModelSnapshotChunk_pkey', ['snapshot_id', 'seq'])
      .execute();
  },
};
