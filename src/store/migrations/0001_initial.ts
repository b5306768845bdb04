// Migration 0001: the seven platform tables, sync_state, and (SQLite) the deferred-index registry.
//
// Written once with Kysely's schema builder for both dialects; `sql` appears only where they differ
// (column types, from `columnTypes`). Frozen: later changes go in new numbered migrations.
import type { Kysely } from 'kysely';
import { type ColumnTypes, columnTypes, type StoreMigration } from './types.js';

export const migration0001: StoreMigration = {
  async up(db, { dialect }) {
    const t = columnTypes(dialect);
    await createUser(db, t);
    await createPost(db, t);
    await createInteraction(db, t, 'PostView', 'viewed_at');
    await createInteraction(db, t, 'PostLike', 'liked_at');
    await createInteraction(db, t, 'PostInspire', 'inspired_at');
    await createInteraction(db, t, 'PostRating', 'rated_at', true);

    await db.schema
      .createTable('PostSummary')
      .ifNotExists()
      .addColumn('post_id', t.id, (c) => c.primaryKey())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('keywords', t.json, (c) => c.notNull())
      .addColumn('category', 'text')
      .addColumn('username', 'text')
      .addColumn('upvote_count', t.float, (c) => c.notNull())
      .addColumn('view_count', t.float, (c) => c.notNull())
      .addColumn('average_rating', t.float, (c) => c.notNull())
      .addColumn('no_of_person_in_video', t.float)
      .addColumn('estimated_duration', 'text')
      .addColumn('main_character_gender', 'text')
      .execute();

    await db.schema
      .createTable('sync_state')
      .ifNotExists()
      .addColumn('source', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('next_page', 'integer', (c) => c.notNull())
      .addColumn('page_size', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('last_synced_at', 'text')
      .addColumn('last_record_count', t.int)
      .execute();

    if (dialect === 'sqlite') {
      // Secondary indexes a bulk load dropped (sqlite/deferred-indexes.ts), kept to be rebuilt.
      await db.schema
        .createTable('deferred_index')
        .ifNotExists()
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('table_name', 'text', (c) => c.notNull())
        .addColumn('sql', 'text', (c) => c.notNull())
        .execute();
    }
  },
};

async function createUser(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  let b = db.schema
    .createTable('User')
    .ifNotExists()
    .addColumn('id', t.id, (c) => c.primaryKey());
  for (const name of ['first_name', 'last_name', 'username', 'email', 'role', 'profile_url', 'bio']) {
    b = b.addColumn(name, 'text');
  }
  b = b
    .addColumn('gender', 'text')
    .addColumn('user_type', 'text')
    .addColumn('hourly_rate', t.float)
    .addColumn('currency', 'text')
    .addColumn('website_url', 'text')
    .addColumn('twitter_url', 'text')
    .addColumn('twitter_username', 'text')
    .addColumn('twitter_profile_url', 'text')
    .addColumn('instagram_url', 'text')
    .addColumn('youtube_url', 'text')
    .addColumn('tictok_url', 'text')
    .addColumn('isVerified', 'boolean')
    .addColumn('is_verified', 'boolean')
    .addColumn('referral_code', 'text')
    .addColumn('has_wallet', 'boolean')
    .addColumn('last_login', t.time);
  for (const name of [
    'share_count',
    'total_reward_points',
    'referral_point',
    'referral_count',
    'total_inspired_user_count',
    'daily_login_streak',
    'post_count',
    'following_count',
    'follower_count',
  ]) {
    b = b.addColumn(name, t.float);
  }
  await b
    .addColumn('is_online', 'boolean')
    .addColumn('latitude', t.json)
    .addColumn('longitude', t.json)
    .addColumn('extra', t.json)
    .execute();
}

async function createPost(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  let b = db.schema
    .createTable('Post')
    .ifNotExists()
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('title', 'text')
    .addColumn('slug', 'text')
    .addColumn('identifier', 'text')
    .addColumn('category', t.json)
    .addColumn('topic', t.json);
  for (const name of [
    'comment_count',
    'upvote_count',
    'view_count',
    'exit_count',
    'rating_count',
    'average_rating',
    'share_count',
    'bookmark_count',
  ]) {
    b = b.addColumn(name, t.float);
  }
  b = b
    .addColumn('video_link', 'text')
    .addColumn('thumbnail_url', 'text')
    .addColumn('gif_thumbnail_url', 'text')
    .addColumn('contract_address', 'text')
    .addColumn('chart_url', 'text')
    .addColumn('chain_id', t.json)
    .addColumn('baseToken', t.json)
    .addColumn('is_locked', 'boolean')
    .addColumn('created_at', t.int)
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('username', 'text')
    .addColumn('user_type', 'text');
  for (const name of [
    'has_evm_wallet',
    'has_solana_wallet',
    'is_viewed',
    'upvoted',
    'bookmarked',
    'is_available_in_public_feed',
    'following',
  ]) {
    b = b.addColumn(name, 'boolean');
  }
  await b
    .addColumn('picture_url', 'text')
    .addColumn('tags', t.json)
    .addColumn('source_matrix', t.json)
    .addColumn('post_summary', t.json)
    .addColumn('extra', t.json)
    .execute();
}

/** An interaction table: platform id, who, what, when; no foreign keys so orphans are kept. */
async function createInteraction(
  db: Kysely<unknown>,
  t: ColumnTypes,
  table: string,
  timeColumn: string,
  rating = false,
): Promise<void> {
  let b = db.schema
    .createTable(table)
    .ifNotExists()
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('user_id', t.int, (c) => c.notNull())
    .addColumn('post_id', t.int, (c) => c.notNull());
  if (rating) b = b.addColumn('rating_percent', t.float, (c) => c.notNull());
  await b
    .addColumn(timeColumn, t.time, (c) => c.notNull())
    .addColumn('extra', t.json)
    .execute();
  for (const column of ['user_id', 'post_id']) {
    await db.schema.createIndex(`${table}_${column}_idx`).ifNotExists().on(table).column(column).execute();
  }
}
