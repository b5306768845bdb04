// Migration 0005: an idempotency key on FeedEvent, so a client that retries `POST /events` after a dropped
// connection gets the event stored once. Keys are the client's (the `Idempotency-Key` header) and unique per
// user; events sent without one keep a null key, which never conflicts (NULLs are distinct in a unique index
// on both dialects). Frozen: later changes go in new numbered migrations.
import type { StoreMigration } from './types.js';

export const migration0005: StoreMigration = {
  async up(db) {
    await db.schema.alterTable('FeedEvent').addColumn('idempotency_key', 'text').execute();
    await db.schema
      .createIndex('FeedEvent_user_idempotency_key_idx')
      .ifNotExists()
      .unique()
      .on('FeedEvent')
      .columns(['user_id', 'idempotency_key'])
      .execute();
  },
};
