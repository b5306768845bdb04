// The typed query API over either dialect: the prototype's fetch*/load* functions and streaming forms.
//
// Every function takes the store, an optional `QueryFilter`, returns rows ordered by id, and runs on
// `store.db` (Kysely), so SQLite and PostgreSQL answer alike. The `stream*` forms page through the
// table by id (keyset pagination) and never hold more than one batch.
import type { Kysely } from 'kysely';
import { FeedError } from '../shared/errors.js';
import type {
  InspireRecord,
  LikeRecord,
  PostRecord,
  RatingRecord,
  UserRecord,
  ViewRecord,
} from '../upstream/schemas.js';
import type { InteractionSource } from '../upstream/sources.js';
import {
  INSPIRE_SPEC,
  INTERACTION_TABLES,
  LIKE_SPEC,
  POST_SPEC,
  RATING_SPEC,
  SUMMARY_SPEC,
  type TableSpec,
  USER_SPEC,
  VIEW_SPEC,
} from './columns.js';
import {
  type CheckedFilter,
  checkBatchSize,
  checkFilter,
  type FilterField,
  type QueryFilter,
} from './filter.js';
import { decodeRow } from './records.js';
import type { JsonText } from './schema.js';
import type { PostSummaryRow, Store } from './types.js';

export type { QueryFilter } from './filter.js';

/** A (user, post) pair of one interaction. */
export interface InteractionIds {
  user_id: number;
  post_id: number;
}

/** A rating's pair and its percent (0–100). */
export interface RatingIds extends InteractionIds {
  rating_percent: number;
}

export interface StreamOptions {
  /** Rows fetched per query. */
  batchSize?: number;
}

/** One interaction of any kind, as the model build reads it. */
export interface InteractionRow {
  id: number;
  user_id: number;
  post_id: number;
  /** The interaction's timestamp, `"YYYY-MM-DD HH:MM:SS"` UTC. */
  at: string;
  /** 0–100 for ratings; null for the other kinds. */
  rating_percent: number | null;
}

/** Interaction kind: the source name (`views`) or the singular kind name (`view`). */
export type InteractionKindInput = InteractionSource | 'view' | 'like' | 'inspire' | 'rating';

const INTERACTION_FILTER: readonly FilterField[] = [
  'userId',
  'postId',
  'since',
  'until',
  'limit',
  'offset',
  'afterId',
];
const POST_FILTER: readonly FilterField[] = ['postId', 'since', 'until', 'limit', 'offset', 'afterId'];
const USER_FILTER: readonly FilterField[] = ['userId', 'limit', 'offset', 'afterId'];
const SUMMARY_FILTER: readonly FilterField[] = ['postId', 'limit', 'offset', 'afterId'];
const DEFAULT_BATCH = 10_000;
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

type InteractionTable = (typeof INTERACTION_TABLES)[InteractionSource]['table'];
type TimeColumn = (typeof INTERACTION_TABLES)[InteractionSource]['time'];

/**
 * The four interaction tables share id/user_id/post_id/extra and differ only in the timestamp column
 * (and ratings' percent). Kysely cannot type a query whose table is a variable over differently shaped
 * tables, so interaction queries go through this one shape; each query names only columns its table has.
 */
type InteractionShape = {
  id: number;
  user_id: number;
  post_id: number;
  rating_percent: number;
  extra: JsonText | null;
} & {
  [C in TimeColumn]: string;
};
type InteractionDatabase = { [T in InteractionTable]: InteractionShape };

const interactionDb = (store: Store) => store.db as unknown as Kysely<InteractionDatabase>;

function normaliseKind(kind: InteractionKindInput): InteractionSource {
  switch (kind) {
    case 'view':
    case 'views':
      return 'views';
    case 'like':
    case 'likes':
      return 'likes';
    case 'inspire':
    case 'inspires':
      return 'inspires';
    case 'rating':
    case 'ratings':
      return 'ratings';
    default:
      throw new FeedError(
        'bad_request',
        `unknown interaction kind ${JSON.stringify(kind)}; accepted: views, likes, inspires, ratings (or singular)`,
      );
  }
}

/** The filtered, id-ordered select over one interaction table (no columns chosen yet). */
function interactionQuery(store: Store, source: InteractionSource, f: CheckedFilter<string>) {
  const { table, time } = INTERACTION_TABLES[source];
  let q = interactionDb(store).selectFrom(table);
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  if (f.postId !== undefined) q = q.where('post_id', '=', f.postId);
  if (f.since !== undefined) q = q.where(time, '>=', f.since);
  if (f.until !== undefined) q = q.where(time, '<', f.until);
  if (f.afterId !== undefined) q = q.where('id', '>', f.afterId);
  q = q.orderBy('id');
  if (f.limit !== undefined) q = q.limit(f.limit);
  // SQLite takes OFFSET only after a LIMIT.
  if (f.offset) q = (f.limit === undefined ? q.limit(NO_LIMIT) : q).offset(f.offset);
  return q;
}

async function interactionIds(
  store: Store,
  source: InteractionSource,
  what: string,
  filter: QueryFilter | undefined,
): Promise<InteractionIds[]> {
  const f = checkFilter(what, filter, INTERACTION_FILTER, 'text');
  const rows = await interactionQuery(store, source, f).select(['user_id', 'post_id']).execute();
  return rows.map((r) => ({ user_id: Number(r.user_id), post_id: Number(r.post_id) }));
}

const SPEC_OF: Record<InteractionSource, TableSpec> = {
  views: VIEW_SPEC,
  likes: LIKE_SPEC,
  inspires: INSPIRE_SPEC,
  ratings: RATING_SPEC,
};

async function interactionRecords<R>(
  store: Store,
  source: InteractionSource,
  f: CheckedFilter<string>,
): Promise<R[]> {
  const rows = await interactionQuery(store, source, f).selectAll().execute();
  return rows.map((row) => decodeRow<R>(SPEC_OF[source], row));
}

/** Keyset pagination: fetches `batch`-sized pages after the last id seen until `limit` or the end. */
async function* keyset<R, F extends CheckedFilter>(
  f: F,
  batchSize: number,
  page: (f: F) => Promise<R[]>,
  idOf: (row: R) => number,
): AsyncGenerator<R[]> {
  let remaining = f.limit ?? Number.POSITIVE_INFINITY;
  let afterId = f.afterId;
  let offset = f.offset;
  while (remaining > 0) {
    const limit = Math.min(batchSize, remaining);
    // The offset skips rows once, in the first batch; later batches continue after the last id.
    const rows = await page({ ...f, ...(afterId === undefined ? {} : { afterId }), offset, limit });
    offset = undefined;
    if (rows.length > 0) yield rows;
    if (rows.length < limit) return;
    remaining -= rows.length;
    afterId = idOf(rows[rows.length - 1]!);
  }
}

async function* flatten<R>(batches: AsyncIterable<R[]>): AsyncGenerator<R> {
  for await (const batch of batches) yield* batch;
}

function streamInteractionRecords<R extends { id: number }>(
  store: Store,
  source: InteractionSource,
  what: string,
  filter: QueryFilter | undefined,
  { batchSize = DEFAULT_BATCH }: StreamOptions,
): AsyncGenerator<R> {
  const f = checkFilter(what, filter, INTERACTION_FILTER, 'text');
  const size = checkBatchSize(batchSize);
  return flatten(
    keyset(
      f,
      size,
      (page) => interactionRecords<R>(store, source, page),
      (r) => r.id,
    ),
  );
}

// ---------------------------------------------------------------------------------------------------
// ID pairs (the prototype's fetch* functions)

/**
 * (user, post) pairs of likes.
 * @example const { likes } = await fetchPostLikesIds(store, { userId: 42 }); // [{ user_id: 42, post_id: 7 }, …]
 */
export async function fetchPostLikesIds(
  store: Store,
  filter?: QueryFilter,
): Promise<{ likes: InteractionIds[] }> {
  return { likes: await interactionIds(store, 'likes', 'fetchPostLikesIds', filter) };
}

/**
 * (user, post) pairs of views.
 * @example const { views } = await fetchPostViewsIds(store, { since: '2024-01-01 00:00:00' });
 */
export async function fetchPostViewsIds(
  store: Store,
  filter?: QueryFilter,
): Promise<{ views: InteractionIds[] }> {
  return { views: await interactionIds(store, 'views', 'fetchPostViewsIds', filter) };
}

/**
 * (user, post) pairs of inspires.
 * @example const { inspires } = await fetchPostInspiresIds(store, { postId: 7 });
 */
export async function fetchPostInspiresIds(
  store: Store,
  filter?: QueryFilter,
): Promise<{ inspires: InteractionIds[] }> {
  return { inspires: await interactionIds(store, 'inspires', 'fetchPostInspiresIds', filter) };
}

/**
 * (user, post, rating_percent) of ratings.
 * @example const { ratings } = await fetchPostRatingsIdsAndRating(store); // [{ user_id, post_id, rating_percent }]
 */
export async function fetchPostRatingsIdsAndRating(
  store: Store,
  filter?: QueryFilter,
): Promise<{ ratings: RatingIds[] }> {
  const f = checkFilter('fetchPostRatingsIdsAndRating', filter, INTERACTION_FILTER, 'text');
  const rows = await interactionQuery(store, 'ratings', f)
    .select(['user_id', 'post_id', 'rating_percent'])
    .execute();
  return {
    ratings: rows.map((r) => ({
      user_id: Number(r.user_id),
      post_id: Number(r.post_id),
      rating_percent: Number(r.rating_percent),
    })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Full interaction records (the prototype's load* functions), as upstream sent them

/**
 * Full view records `{id, post_id, user_id, viewed_at, …unknown fields kept}`.
 * @example const { views } = await loadPostViews(store, { userId: 42, limit: 100 });
 */
export async function loadPostViews(store: Store, filter?: QueryFilter): Promise<{ views: ViewRecord[] }> {
  const f = checkFilter('loadPostViews', filter, INTERACTION_FILTER, 'text');
  return { views: await interactionRecords<ViewRecord>(store, 'views', f) };
}

/**
 * Full like records `{id, post_id, user_id, liked_at, …}`.
 * @example const { likes } = await loadPostLikes(store, { since: new Date('2024-01-01') });
 */
export async function loadPostLikes(store: Store, filter?: QueryFilter): Promise<{ likes: LikeRecord[] }> {
  const f = checkFilter('loadPostLikes', filter, INTERACTION_FILTER, 'text');
  return { likes: await interactionRecords<LikeRecord>(store, 'likes', f) };
}

/**
 * Full inspire records `{id, post_id, user_id, inspired_at, …}`.
 * @example const { inspires } = await loadPostInspires(store, { postId: 7 });
 */
export async function loadPostInspires(
  store: Store,
  filter?: QueryFilter,
): Promise<{ inspires: InspireRecord[] }> {
  const f = checkFilter('loadPostInspires', filter, INTERACTION_FILTER, 'text');
  return { inspires: await interactionRecords<InspireRecord>(store, 'inspires', f) };
}

/**
 * Full rating records `{id, user_id, post_id, rating_percent, rated_at, …}`.
 * @example const { ratings } = await loadPostRatings(store, { until: '2024-06-01 00:00:00' });
 */
export async function loadPostRatings(
  store: Store,
  filter?: QueryFilter,
): Promise<{ ratings: RatingRecord[] }> {
  const f = checkFilter('loadPostRatings', filter, INTERACTION_FILTER, 'text');
  return { ratings: await interactionRecords<RatingRecord>(store, 'ratings', f) };
}

/**
 * Streams view records by id, `batchSize` rows per query.
 * @example for await (const view of streamPostViews(store, { userId: 42 })) console.log(view.post_id);
 */
export function streamPostViews(
  store: Store,
  filter?: QueryFilter,
  options: StreamOptions = {},
): AsyncGenerator<ViewRecord> {
  return streamInteractionRecords<ViewRecord>(store, 'views', 'streamPostViews', filter, options);
}

/**
 * Streams like records by id.
 * @example for await (const like of streamPostLikes(store)) count += 1;
 */
export function streamPostLikes(
  store: Store,
  filter?: QueryFilter,
  options: StreamOptions = {},
): AsyncGenerator<LikeRecord> {
  return streamInteractionRecords<LikeRecord>(store, 'likes', 'streamPostLikes', filter, options);
}

/**
 * Streams inspire records by id.
 * @example for await (const inspire of streamPostInspires(store, { postId: 7 })) users.add(inspire.user_id);
 */
export function streamPostInspires(
  store: Store,
  filter?: QueryFilter,
  options: StreamOptions = {},
): AsyncGenerator<InspireRecord> {
  return streamInteractionRecords<InspireRecord>(store, 'inspires', 'streamPostInspires', filter, options);
}

/**
 * Streams rating records by id.
 * @example for await (const r of streamPostRatings(store, {}, { batchSize: 5000 })) sum += r.rating_percent;
 */
export function streamPostRatings(
  store: Store,
  filter?: QueryFilter,
  options: StreamOptions = {},
): AsyncGenerator<RatingRecord> {
  return streamInteractionRecords<RatingRecord>(store, 'ratings', 'streamPostRatings', filter, options);
}

/**
 * Streams one interaction kind in compact rows `{id, user_id, post_id, at, rating_percent}`, batch by
 * batch (each yielded array is one query's rows): what the model build reads.
 * @example for await (const batch of streamInteractionBatches(store, 'likes')) for (const r of batch) add(r);
 */
export function streamInteractionBatches(
  store: Store,
  kind: InteractionKindInput,
  filter?: QueryFilter,
  { batchSize = 50_000 }: StreamOptions = {},
): AsyncGenerator<InteractionRow[]> {
  const source = normaliseKind(kind);
  const f = checkFilter('streamInteractions', filter, INTERACTION_FILTER, 'text');
  const size = checkBatchSize(batchSize);
  const { time } = INTERACTION_TABLES[source];
  const rating = source === 'ratings';
  const page = async (pf: CheckedFilter<string>): Promise<InteractionRow[]> => {
    const rows = await interactionQuery(store, source, pf)
      .select(['id', 'user_id', 'post_id', `${time} as at`, ...(rating ? (['rating_percent'] as const) : [])])
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      user_id: Number(r.user_id),
      post_id: Number(r.post_id),
      at: r.at,
      rating_percent: rating ? Number((r as { rating_percent?: number }).rating_percent) : null,
    }));
  };
  return keyset(f, size, page, (r) => r.id);
}

/**
 * Streams one interaction kind row by row (see `streamInteractionBatches`).
 * @example for await (const r of streamInteractions(store, 'views')) matrix.add(r.user_id, r.post_id);
 */
export function streamInteractions(
  store: Store,
  kind: InteractionKindInput,
  filter?: QueryFilter,
  options: StreamOptions = {},
): AsyncGenerator<InteractionRow> {
  return flatten(streamInteractionBatches(store, kind, filter, options));
}

// ---------------------------------------------------------------------------------------------------
// Posts, users, summaries

async function postPage(store: Store, f: CheckedFilter<number>): Promise<PostRecord[]> {
  let q = store.db.selectFrom('Post').selectAll();
  if (f.postId !== undefined) q = q.where('id', '=', f.postId);
  if (f.since !== undefined) q = q.where('created_at', '>=', f.since);
  if (f.until !== undefined) q = q.where('created_at', '<', f.until);
  if (f.afterId !== undefined) q = q.where('id', '>', f.afterId);
  q = q.orderBy('id');
  if (f.limit !== undefined) q = q.limit(f.limit);
  // SQLite takes OFFSET only after a LIMIT.
  if (f.offset) q = (f.limit === undefined ? q.limit(NO_LIMIT) : q).offset(f.offset);
  return (await q.execute()).map((row) => decodeRow<PostRecord>(POST_SPEC, row));
}

async function userPage(store: Store, f: CheckedFilter): Promise<UserRecord[]> {
  let q = store.db.selectFrom('User').selectAll();
  if (f.userId !== undefined) q = q.where('id', '=', f.userId);
  if (f.afterId !== undefined) q = q.where('id', '>', f.afterId);
  q = q.orderBy('id');
  if (f.limit !== undefined) q = q.limit(f.limit);
  // SQLite takes OFFSET only after a LIMIT.
  if (f.offset) q = (f.limit === undefined ? q.limit(NO_LIMIT) : q).offset(f.offset);
  return (await q.execute()).map((row) => decodeRow<UserRecord>(USER_SPEC, row));
}

async function summaryPage(store: Store, f: CheckedFilter): Promise<PostSummaryRow[]> {
  let q = store.db.selectFrom('PostSummary').selectAll();
  if (f.postId !== undefined) q = q.where('post_id', '=', f.postId);
  if (f.afterId !== undefined) q = q.where('post_id', '>', f.afterId);
  q = q.orderBy('post_id');
  if (f.limit !== undefined) q = q.limit(f.limit);
  // SQLite takes OFFSET only after a LIMIT.
  if (f.offset) q = (f.limit === undefined ? q.limit(NO_LIMIT) : q).offset(f.offset);
  return (await q.execute()).map((row) => decodeRow<PostSummaryRow>(SUMMARY_SPEC, row));
}

/**
 * Every post as upstream sent it (JSON fields parsed, unknown fields kept). `since`/`until` apply to
 * `created_at`; `userId` does not apply (posts carry no user id).
 * @example const { posts } = await loadAllPosts(store, { since: '2024-01-01 00:00:00' });
 */
export async function loadAllPosts(store: Store, filter?: QueryFilter): Promise<{ posts: PostRecord[] }> {
  return { posts: await postPage(store, checkFilter('loadAllPosts', filter, POST_FILTER, 'ms')) };
}

/**
 * Every user as upstream sent it (`instagram-url` under its upstream name, unknown fields kept).
 * @example const { users } = await loadUsers(store, { limit: 10 });
 */
export async function loadUsers(store: Store, filter?: QueryFilter): Promise<{ users: UserRecord[] }> {
  return { users: await userPage(store, checkFilter('loadUsers', filter, USER_FILTER, 'text')) };
}

/**
 * Every PostSummary row, keywords parsed.
 * @example const { summaries } = await loadPostSummaries(store, { postId: 7 });
 */
export async function loadPostSummaries(
  store: Store,
  filter?: QueryFilter,
): Promise<{ summaries: PostSummaryRow[] }> {
  return {
    summaries: await summaryPage(store, checkFilter('loadPostSummaries', filter, SUMMARY_FILTER, 'text')),
  };
}

/**
 * Streams posts by id (same rows as `loadAllPosts`).
 * @example for await (const post of streamAllPosts(store, {}, { batchSize: 1000 })) index(post);
 */
export function streamAllPosts(
  store: Store,
  filter?: QueryFilter,
  { batchSize = DEFAULT_BATCH }: StreamOptions = {},
): AsyncGenerator<PostRecord> {
  const f = checkFilter('streamAllPosts', filter, POST_FILTER, 'ms');
  return flatten(
    keyset(
      f,
      checkBatchSize(batchSize),
      (p) => postPage(store, p),
      (r) => r.id,
    ),
  );
}

/** Alias of `streamAllPosts`. */
export const streamPosts = streamAllPosts;

/**
 * Streams users by id (same rows as `loadUsers`).
 * @example for await (const user of streamUsers(store)) ids.push(user.id);
 */
export function streamUsers(
  store: Store,
  filter?: QueryFilter,
  { batchSize = DEFAULT_BATCH }: StreamOptions = {},
): AsyncGenerator<UserRecord> {
  const f = checkFilter('streamUsers', filter, USER_FILTER, 'text');
  return flatten(
    keyset(
      f,
      checkBatchSize(batchSize),
      (p) => userPage(store, p),
      (r) => r.id,
    ),
  );
}

/**
 * Streams PostSummary rows by post_id (same rows as `loadPostSummaries`).
 * @example for await (const s of streamPostSummaries(store)) vectorise(s.summary, s.keywords);
 */
export function streamPostSummaries(
  store: Store,
  filter?: QueryFilter,
  { batchSize = DEFAULT_BATCH }: StreamOptions = {},
): AsyncGenerator<PostSummaryRow> {
  const f = checkFilter('streamPostSummaries', filter, SUMMARY_FILTER, 'text');
  return flatten(
    keyset(
      f,
      checkBatchSize(batchSize),
      (p) => summaryPage(store, p),
      (r) => r.post_id,
    ),
  );
}
