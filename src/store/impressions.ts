// Served feed pages (impressions) and the events attributed to them (tables FeedImpression and
// FeedEventAttribution, migration 0006), and the online metrics computed from them per arm and per day.
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** One served page: who saw which posts in which order, ranked by which arm, when. */
export interface Impression {
  recommId: string;
  /** Null when the page went to no known user. */
  userId: number | null;
  /** `feed`, `trending`, `latest`, `similar`. */
  route: string;
  arm: string;
  /** Post ids in the order shown: position = index + 1. */
  postIds: readonly number[];
  /** Epoch ms. */
  at: number;
}

/** An event attributed to a position of an impression. */
export interface Attribution {
  eventId: number;
  recommId: string;
  /** 1-based. */
  position: number;
  arm: string;
  type: string;
  /** The impression's time, epoch ms. */
  impressedAt: number;
}

/** The text the posts column holds: decimal ids joined by commas (see the migration for why). */
export const packPostIds = (ids: readonly number[]): string => ids.join(',');

export const unpackPostIds = (text: string): number[] =>
  text === '' ? [] : text.split(',').map((s) => Number(s));

/** Rows per insert: 6 columns × 500 stays far below SQLite's bound-parameter limit. */
const INSERT_ROWS = 500;

/**
 * Stores impressions in as few statements as the batch needs, in one transaction.
 * @example await insertImpressions(store.db, [{ recommId, userId: 1, route: 'feed', arm: 'hybrid', postIds: [3, 9], at: Date.now() }]);
 */
export async function insertImpressions(
  db: Kysely<Database>,
  impressions: readonly Impression[],
): Promise<void> {
  if (impressions.length === 0) return;
  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < impressions.length; i += INSERT_ROWS) {
      await tx
        .insertInto('FeedImpression')
        .values(
          impressions.slice(i, i + INSERT_ROWS).map((m) => ({
            recomm_id: m.recommId,
            user_id: m.userId,
            route: m.route,
            arm: m.arm,
            posts: packPostIds(m.postIds),
            created_at: m.at,
          })),
        )
        .onConflict((oc) => oc.column('recomm_id').doNothing())
        .execute();
    }
  });
}

type ImpressionRow = {
  recomm_id: string;
  user_id: number | string | null;
  route: string;
  arm: string;
  posts: string;
  created_at: number | string;
};

const toImpression = (r: ImpressionRow): Impression => ({
  recommId: r.recomm_id,
  userId: r.user_id === null ? null : Number(r.user_id),
  route: r.route,
  arm: r.arm,
  postIds: unpackPostIds(r.posts),
  at: Number(r.created_at),
});

/**
 * The stored impression with this id, or null.
 * @example const page = await findImpression(store.db, 'b3c1…');
 */
export async function findImpression(db: Kysely<Database>, recommId: string): Promise<Impression | null> {
  const row = await db
    .selectFrom('FeedImpression')
    .selectAll()
    .where('recomm_id', '=', recommId)
    .executeTakeFirst();
  return row === undefined ? null : toImpression(row);
}

/** Impressions read per attribution look-up (a user's pages within the window, newest first). */
const LOOKUP_LIMIT = 500;

/**
 * The newest stored impression shown to `userId` at or after `sinceMs` (and at or before `untilMs`) that
 * holds `postId`, with the post's 1-based position; null when there is none.
 * @example const hit = await latestImpressionOf(store.db, 42, 7, Date.now() - 3_600_000);
 */
export async function latestImpressionOf(
  db: Kysely<Database>,
  userId: number,
  postId: number,
  sinceMs: number,
  untilMs: number = Number.MAX_SAFE_INTEGER,
): Promise<{ impression: Impression; position: number } | null> {
  const rows = await db
    .selectFrom('FeedImpression')
    .selectAll()
    .where('user_id', '=', userId)
    .where('created_at', '>=', sinceMs)
    .where('created_at', '<=', untilMs)
    .orderBy('created_at', 'desc')
    .limit(LOOKUP_LIMIT)
    .execute();
  for (const row of rows) {
    const impression = toImpression(row);
    const index = impression.postIds.indexOf(postId);
    if (index >= 0) return { impression, position: index + 1 };
  }
  return null;
}

/**
 * Stores an attribution (an event attributed twice keeps the first).
 * @example await insertAttribution(store.db, { eventId: 5, recommId, position: 2, arm: 'hybrid', type: 'like', impressedAt });
 */
export async function insertAttribution(db: Kysely<Database>, a: Attribution): Promise<void> {
  await db
    .insertInto('FeedEventAttribution')
    .values({
      event_id: a.eventId,
      recomm_id: a.recommId,
      position: a.position,
      arm: a.arm,
      type: a.type,
      impressed_at: a.impressedAt,
    })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
}

/**
 * The attribution of one event, or null.
 * @example const a = await findAttribution(store.db, event.id);
 */
export async function findAttribution(db: Kysely<Database>, eventId: number): Promise<Attribution | null> {
  const r = await db
    .selectFrom('FeedEventAttribution')
    .selectAll()
    .where('event_id', '=', eventId)
    .executeTakeFirst();
  if (r === undefined) return null;
  return {
    eventId: Number(r.event_id),
    recommId: r.recomm_id,
    position: Number(r.position),
    arm: r.arm,
    type: r.type,
    impressedAt: Number(r.impressed_at),
  };
}

/**
 * Deletes impressions older than `beforeMs` and the attributions to them, `batch` rows per statement
 * (yielding between statements: a SQLite delete runs on the caller's thread, so one huge statement would
 * hold the event loop); returns how many of each.
 * @example await pruneImpressions(store.db, Date.now() - 30 * 86_400_000);
 */
export async function pruneImpressions(
  db: Kysely<Database>,
  beforeMs: number,
  { batch = 5000 }: { batch?: number } = {},
): Promise<{ impressions: number; attributions: number }> {
  const total = { impressions: 0, attributions: 0 };
  for (;;) {
    const r = await db
      .deleteFrom('FeedEventAttribution')
      .where('event_id', 'in', (eb) =>
        eb
          .selectFrom('FeedEventAttribution')
          .select('event_id')
          .where('impressed_at', '<', beforeMs)
          .limit(batch),
      )
      .executeTakeFirst();
    const n = Number(r.numDeletedRows);
    total.attributions += n;
    if (n < batch) break;
    await nextMacrotask();
  }
  for (;;) {
    const r = await db
      .deleteFrom('FeedImpression')
      .where('recomm_id', 'in', (eb) =>
        eb.selectFrom('FeedImpression').select('recomm_id').where('created_at', '<', beforeMs).limit(batch),
      )
      .executeTakeFirst();
    const n = Number(r.numDeletedRows);
    total.impressions += n;
    if (n < batch) break;
    await nextMacrotask();
  }
  return total;
}

/** Online metrics of one arm on one UTC day (impressions of that day and the events attributed to them). */
export interface ArmDayMetrics {
  arm: string;
  /** `YYYY-MM-DD` (UTC) of the impressions. */
  day: string;
  impressions: number;
  /** Impressions with at least one attributed event of the kind. */
  viewed: number;
  liked: number;
  inspired: number;
  /** viewed / impressions (0 without impressions); likewise below. */
  viewRate: number;
  likeRate: number;
  inspireRate: number;
  /** Distinct (impression, position) pairs with any attributed event. */
  engagedPosts: number;
  /** Mean of 1/position over the engaged posts (0 when none). */
  meanReciprocalRank: number;
}

export interface OnlineMetricsQuery {
  /** Impressions at or after this epoch ms. */
  fromMs?: number;
  /** Impressions before this epoch ms. */
  toMs?: number;
  /** Only these arms. */
  arms?: readonly string[];
}

const DAY_MS = 86_400_000;
const dayText = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * Impressions, view/like/inspire rate per impression and the mean reciprocal rank of engaged posts, per
 * arm and per UTC day of the impressions, sorted by arm then day. An event counts on its impression's day.
 * @example for (const m of await onlineMetrics(store.db, { fromMs: Date.now() - 7 * 86_400_000 })) console.log(m.arm, m.day, m.likeRate);
 */
export async function onlineMetrics(
  db: Kysely<Database>,
  { fromMs = 0, toMs = Number.MAX_SAFE_INTEGER, arms }: OnlineMetricsQuery = {},
): Promise<ArmDayMetrics[]> {
  if (arms !== undefined && arms.length === 0) return [];
  // Integer division of integers on both dialects: the UTC day number.
  let impressions = db
    .selectFrom('FeedImpression')
    .select(['arm', sql<number | string>`created_at / ${sql.lit(DAY_MS)}`.as('day')])
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('created_at', '>=', fromMs)
    .where('created_at', '<', toMs)
    .groupBy(['arm', sql`created_at / ${sql.lit(DAY_MS)}`]);
  if (arms !== undefined) impressions = impressions.where('arm', 'in', arms);
  let byType = db
    .selectFrom('FeedEventAttribution')
    .select(['arm', 'type', sql<number | string>`impressed_at / ${sql.lit(DAY_MS)}`.as('day')])
    .select((eb) => eb.fn.count<number | string>('recomm_id').distinct().as('n'))
    .where('impressed_at', '>=', fromMs)
    .where('impressed_at', '<', toMs)
    .groupBy(['arm', 'type', sql`impressed_at / ${sql.lit(DAY_MS)}`]);
  if (arms !== undefined) byType = byType.where('arm', 'in', arms);
  let engagedPairs = db
    .selectFrom('FeedEventAttribution')
    .select([
      'arm',
      'recomm_id',
      'position',
      sql<number | string>`impressed_at / ${sql.lit(DAY_MS)}`.as('day'),
    ])
    .distinct()
    .where('impressed_at', '>=', fromMs)
    .where('impressed_at', '<', toMs);
  if (arms !== undefined) engagedPairs = engagedPairs.where('arm', 'in', arms);
  const engaged = db
    .selectFrom(engagedPairs.as('pairs'))
    .select(['arm', 'day'])
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .select(sql<number | string>`sum(1.0 / position)`.as('rr'))
    .groupBy(['arm', 'day']);

  const [impressionRows, typeRows, engagedRows] = await Promise.all([
    impressions.execute(),
    byType.execute(),
    engaged.execute(),
  ]);
  const out = new Map<string, ArmDayMetrics & { rrSum: number }>();
  const entry = (arm: string, day: number | string) => {
    const key = `${arm}\u0000${Number(day)}`;
    let m = out.get(key);
    if (m === undefined) {
      m = {
        arm,
        day: dayText(Number(day)),
        impressions: 0,
        viewed: 0,
        liked: 0,
        inspired: 0,
        viewRate: 0,
        likeRate: 0,
        inspireRate: 0,
        engagedPosts: 0,
        meanReciprocalRank: 0,
        rrSum: 0,
      };
      out.set(key, m);
    }
    return m;
  };
  for (const r of impressionRows) entry(r.arm, r.day).impressions = Number(r.n);
  for (const r of typeRows) {
    const m = entry(r.arm, r.day);
    if (r.type === 'view') m.viewed = Number(r.n);
    else if (r.type === 'like') m.liked = Number(r.n);
    else if (r.type === 'inspire') m.inspired = Number(r.n);
  }
  for (const r of engagedRows) {
    const m = entry(r.arm, r.day);
    m.engagedPosts = Number(r.n);
    m.rrSum = Number(r.rr);
  }
  const rate = (k: number, n: number) => (n > 0 ? k / n : 0);
  return [...out.values()]
    .map(({ rrSum, ...m }) => ({
      ...m,
      viewRate: rate(m.viewed, m.impressions),
      likeRate: rate(m.liked, m.impressions),
      inspireRate: rate(m.inspired, m.impressions),
      meanReciprocalRank: rate(rrSum, m.engagedPosts),
    }))
    .sort((a, b) => (a.arm < b.arm ? -1 : a.arm > b.arm ? 1 : a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}
