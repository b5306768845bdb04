// Migration 0002: the FeedEvent table (interactions the feed service received through `POST /events`) and
// an index on User.username (the feed looks users up by name).
//
// FeedEvent has its own autoincrement id: these events have no platform id, so they are kept apart from the
// platform-keyed interaction tables that sync fills. Frozen: later changes go in new numbered migrations.
import { columnTypes, type StoreMigration } from './types.js';

export const migration0002: StoreMigration = {
  async up(db, { dialect }) {
    const t = columnTypes(dialect);
    let table = db.schema.createTable('FeedEvent').ifNotExists();
    table =
      dialect === 'postgres'
        ? table.addColumn('id', 'bigserial', (c) => c.primaryKey())
        : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    await table
      .addColumn('user_id', t.int, (c) => c.notNull())
      .addColumn('post_id', t.int, (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('rating_percent', t.float)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('FeedEvent_user_id_idx')
      .ifNotExists()
      .on('FeedEvent')
      .column('user_id')
      .execute();
    await db.schema.createIndex('User_username_idx').ifNotExists().on('User').column('username').execute();
  },
};
