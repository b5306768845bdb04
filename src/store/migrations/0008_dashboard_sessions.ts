// Migration 0008: `DashboardSession`, the dashboard's signed-in sessions, shared by every replica on this
// database (a cookie issued by one is honoured by all, and a sign-out on one ends it everywhere). Only the
// SHA-256 of the cookie's random id is stored, so reading the table does not yield a usable cookie.
// `expires_at` is epoch ms, indexed for pruning. Frozen: later changes go in new numbered migrations.
import { columnTypes, type StoreMigration } from './types.js';

export const migration0008: StoreMigration = {
  async up(db, { dialect }) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('DashboardSession')
      .ifNotExists()
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', t.int, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('DashboardSession_expires_idx')
      .ifNotExists()
      .on('DashboardSession')
      .column('expires_at')
      .execute();
  },
};
