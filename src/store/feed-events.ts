// Interactions the feed service receives (`POST /events`): stored in FeedEvent with the store's own id,
// apart from the platform-keyed tables sync fills, and read back by the model build.

import { type InsertQueryBuilder, type InsertResult, sql } from 'kysely';
import type { InteractionKindName } from '../recommend/types.js';
import { FeedError } from '../shared/errors.js';
import { formatUpstreamTime } from './filter.js';
import type { Database } from './schema.js';
import type { Store } from './types.js';

/** The interaction kinds an event may have (the recommender's names). */
export const FEED_EVENT_TYPES = [
  'view',
  'like',
  'inspire',
  'rating',
] as const satisfies readonly InteractionKindName[];
export type FeedEventType = (typeof FEED_EVENT_TYPES)[number];

/** What a client sends: who did what to which post (a rating carries its percent). */
export interface FeedEventInput {
  user_id: number;
  post_id: number;
  type: FeedEventType;
  /** 0..100; required for `rating`, absent (null) for the other kinds. */
  rating_percent?: number | null;
  /** When it happened; default now. */
  at?: Date;
}

/** A stored event. */
export interface FeedEventRow {
  id: number;
  user_id: number;
  post_id: number;
  type: FeedEventType;
  rating_percent: number | null;
  /** `"YYYY-MM-DD HH:MM:SS"` UTC, like the platform's interaction times. */
  created_at: string;
}

function checkEvent(event: FeedEventInput): void {
  const bad = (message: string) => new FeedError('bad_request', message);
  for (const key of ['user_id', 'post_id'] as const) {
    const v = event[key];
    if (!Number.isSafeInteger(v) || v < 1)
      throw bad(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (!(FEED_EVENT_TYPES as readonly string[]).includes(event.type)) {
    throw bad(`type must be one of ${FEED_EVENT_TYPES.join(', ')}, got ${JSON.stringify(event.type)}`);
  }
  const pct = event.rating_percent;
  if (event.type === 'rating') {
    if (typeof pct !== 'number' || !Number.isFinite(pct) || pct < 0 || pct > 100) {
      throw bad(`rating_percent must be a number 0..100 for a rating, got ${JSON.stringify(pct ?? null)}`);
    }
  } else if (pct !== undefined && pct !== null) {
    throw bad(`rating_percent is only accepted with type "rating", got type "${event.type}"`);
  }
}

/** A FeedEvent row as read (ids and numbers as numbers, whichever dialect). */
export const toFeedEventRow = (r: {
  id: number | string;
  user_id: number | string;
  post_id: number | string;
  type: string;
  rating_percent: number | string | null;
  created_at: string;
}): FeedEventRow => ({
  id: Number(r.id),
  user_id: Number(r.user_id),
  post_id: Number(r.post_id),
  type: r.type as FeedEventType,
  rating_percent: r.rating_percent === null ? null : Number(r.rating_percent),
  created_at: r.created_at,
});

/**
 * The PostgreSQL channel an insert notifies (payload: the event's id), as SQL over the session's
 * `current_schema()`: one channel per schema, so stores in other schemas of the database stay apart.
 */
export const FEED_EVENT_CHANNEL_SQL = sql<string>`'feed_event_' || md5(current_schema())`;

/** Longest `Idempotency-Key` accepted (a UUID is 36; Stripe-style keys fit in 255). */
export const IDEMPOTENCY_KEY_MAX = 255;
/** What an idempotency key may hold: visible ASCII, `!` to `~` (no spaces or control characters). */
const IDEMPOTENCY_KEY_CHARS = /^[\x21-\x7e]+$/;

/** Why `key` is no idempotency key, or null when it is one. */
export function idempotencyKeyProblem(key: string): string | null {
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX) {
    return `must be 1..${IDEMPOTENCY_KEY_MAX} characters, got ${key.length}`;
  }
  if (!IDEMPOTENCY_KEY_CHARS.test(key)) {
    return 'must hold visible ASCII characters only (! to ~: no spaces, control or non-ASCII characters)';
  }
  return null;
}

/** An event `insertFeedEventOnce` answered: the stored one, and whether it was stored before. */
export interface KeyedFeedEvent {
  event: FeedEventRow;
  /** True when the key was used before: `event` is the event stored then, nothing new was stored. */
  duplicate: boolean;
}

/** The row an event input stores. */
function rowOf(event: FeedEventInput, idempotencyKey: string | null) {
  return {
    user_id: event.user_id,
    post_id: event.post_id,
    type: event.type,
    rating_percent: event.type === 'rating' ? (event.rating_percent ?? null) : null,
    created_at: formatUpstreamTime((event.at ?? new Date()).getTime()),
    idempotency_key: idempotencyKey,
  };
}

/**
 * Stores one event and returns it with its id. Throws `FeedError('bad_request')` naming a bad field.
 * On PostgreSQL the insert and its NOTIFY on `FEED_EVENT_CHANNEL_SQL` are one statement, so one
 * transaction: listeners hear of the row exactly when it commits.
 * @example const event = await insertFeedEvent(store, { user_id: 42, post_id: 7, type: 'like' });
 */
export async function insertFeedEvent(store: Store, event: FeedEventInput): Promise<FeedEventRow> {
  checkEvent(event);
  const row = await insertRow(store, store.db.insertInto('FeedEvent').values(rowOf(event, null)));
  if (row === undefined) throw new FeedError('internal', 'the FeedEvent insert returned no row');
  return row;
}

/**
 * Stores one event under the client's idempotency key (unique per user), once: a key used before answers
 * the event stored then with `duplicate: true` and stores nothing (nor notifies). The insert skips a
 * conflicting key in the same statement (`ON CONFLICT DO NOTHING`), so two concurrent sends of one key
 * store one row: PostgreSQL makes the second wait for the first to commit. Throws `FeedError('bad_request')`
 * for a bad field or key, and `FeedError('conflict')` when the key was used for a different event.
 * @example const { event, duplicate } = await insertFeedEventOnce(store, { user_id: 42, post_id: 7, type: 'like' }, key);
 */
export async function insertFeedEventOnce(
  store: Store,
  event: FeedEventInput,
  idempotencyKey: string,
): Promise<KeyedFeedEvent> {
  checkEvent(event);
  const problem = idempotencyKeyProblem(idempotencyKey);
  if (problem !== null) throw new FeedError('bad_request', `Idempotency-Key ${problem}`);
  const values = rowOf(event, idempotencyKey);
  const inserted = await insertRow(
    store,
    store.db
      .insertInto('FeedEvent')
      .values(values)
      .onConflict((oc) => oc.columns(['user_id', 'idempotency_key']).doNothing()),
  );
  if (inserted !== undefined) return { event: inserted, duplicate: false };
  const stored = await store.db
    .selectFrom('FeedEvent')
    .selectAll()
    .where('user_id', '=', event.user_id)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
  if (stored === undefined) {
    throw new FeedError('internal', 'a FeedEvent insert was skipped for a key that no row holds');
  }
  const first = toFeedEventRow(stored);
  if (
    first.post_id !== values.post_id ||
    first.type !== values.type ||
    first.rating_percent !== values.rating_percent
  ) {
    throw new FeedError(
      'conflict',
      `this Idempotency-Key was used for another event of user ${first.user_id} (event ${first.id}: ` +
        `${first.type} of post ${first.post_id}); a retry must send the same event, a new event a new key`,
    );
  }
  return { event: first, duplicate: true };
}

/** Runs a FeedEvent insert, returning the stored row (undefined when it stored none); see `insertFeedEvent`. */
async function insertRow(
  store: Store,
  insert: InsertQueryBuilder<Database, 'FeedEvent', InsertResult>,
): Promise<FeedEventRow | undefined> {
  if (store.dialect !== 'postgres') {
    const row = await insert.returningAll().executeTakeFirst();
    return row === undefined ? undefined : toFeedEventRow(row);
  }
  const row = await store.db
    .with('stored', () => insert.returningAll())
    .selectFrom('stored')
    .selectAll()
    .select(sql<string>`pg_notify(${FEED_EVENT_CHANNEL_SQL}, stored.id::text)`.as('notified'))
    .executeTakeFirst();
  return row === undefined ? undefined : toFeedEventRow(row);
}

/**
 * The highest FeedEvent id stored (0 when none): a watermark saying which events a model build read.
 * @example const upTo = await maxFeedEventId(store);
 */
export async function maxFeedEventId(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('FeedEvent')
    .select((eb) => eb.fn.max('id').as('max'))
    .executeTakeFirst();
  return row?.max === null || row?.max === undefined ? 0 : Number(row.max);
}

/** How long a watermark read waits for the FeedEvent writers in flight, per try, and how many tries. */
const WATERMARK_LOCK_TIMEOUT_MS = 5000;
const WATERMARK_TRIES = 3;

/**
 * The highest FeedEvent id below which no event can still appear: what a model build records as the
 * events it read (0 when none), so the events above it are exactly those the live overlay must apply.
 *
 * `maxFeedEventId` is not that on PostgreSQL: ids come from a sequence before commit, so a transaction
 * that took id 5 and commits late leaves 5 invisible while 6 is read as the max; a build recording 6
 * would miss 5, and the followers, which apply only ids above the watermark, would never apply it. Of
 * the ways to close that, this one needs no new state: the max is read under `LOCK TABLE … IN SHARE
 * MODE`, which waits for every transaction holding FeedEvent's ROW EXCLUSIVE lock (an INSERT takes it
 * before its `nextval`, so every id handed out is then committed or rolled back) and holds new inserts
 * off for the one `max(id)` read; ids taken afterwards are higher. Inserts here are single statements, so
 * the wait is their commit; a writer holding the table longer than the lock timeout is waited out
 * `WATERMARK_TRIES` times, then the build fails (and is retried) rather than record an unsafe
 * watermark. SQLite has one writer at a time and its uncommitted row's id is above every committed one,
 * so the committed max is already safe there.
 * @example const upTo = await committedFeedEventWatermark(store);
 */
export async function committedFeedEventWatermark(store: Store): Promise<number> {
  if (store.dialect !== 'postgres') return maxFeedEventId(store);
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.db.transaction().execute(async (tx) => {
        await sql`SET LOCAL lock_timeout = ${sql.lit(`${WATERMARK_LOCK_TIMEOUT_MS}ms`)}`.execute(tx);
        await sql`LOCK TABLE ${sql.table('FeedEvent')} IN SHARE MODE`.execute(tx);
        const { rows } = await sql<{
          max: string | number | null;
        }>`SELECT max(id) AS max FROM ${sql.table('FeedEvent')}`.execute(tx);
        const max = rows[0]?.max;
        return max === null || max === undefined ? 0 : Number(max);
      });
    } catch (error) {
      const lockTimeout = (error as { code?: unknown } | null)?.code === '55P03';
      if (!lockTimeout) throw error;
      if (attempt >= WATERMARK_TRIES) {
        throw new FeedError(
          'store_failed',
          `reading the FeedEvent watermark waited ${WATERMARK_TRIES} × ${WATERMARK_LOCK_TIMEOUT_MS} ms for a transaction that holds uncommitted FeedEvent rows; the build is retried later`,
          { cause: error },
        );
      }
    }
  }
}

export interface FeedEventQuery {
  /** Only events with an id above this. */
  afterId?: number;
  /** Only events with an id at most this. */
  upToId?: number;
  userId?: number;
  /** Rows per query while streaming. */
  batchSize?: number;
}

/**
 * Streams stored events by id, batch by batch.
 * @example for await (const batch of streamFeedEvents(store, { upToId: 100 })) for (const e of batch) add(e);
 */
export async function* streamFeedEvents(
  store: Store,
  { afterId = 0, upToId, userId, batchSize = 50_000 }: FeedEventQuery = {},
): AsyncGenerator<FeedEventRow[]> {
  let after = afterId;
  for (;;) {
    let q = store.db.selectFrom('FeedEvent').selectAll().where('id', '>', after);
    if (upToId !== undefined) q = q.where('id', '<=', upToId);
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    const rows = (await q.orderBy('id').limit(batchSize).execute()).map(toFeedEventRow);
    if (rows.length > 0) yield rows;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

/**
 * Number of stored events (at most `upToId` when given).
 * @example const n = await countFeedEvents(store);
 */
export async function countFeedEvents(store: Store, upToId?: number): Promise<number> {
  let q = store.db.selectFrom('FeedEvent').select((eb) => eb.fn.countAll<number | string>().as('n'));
  if (upToId !== undefined) q = q.where('id', '<=', upToId);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}
