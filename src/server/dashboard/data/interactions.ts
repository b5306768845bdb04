// Interactions as the dashboard reads them: the four synced platform tables plus the events the service
// received itself (FeedEvent, `POST /events`), as one list per user or post and as counts per day. Plain
// SQL through Kysely's `sql` (the same text on SQLite and PostgreSQL); each filter is applied inside every
// branch so the user_id/post_id indexes serve it.
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../../store/schema.js';

export const INTERACTION_KINDS = ['view', 'like', 'inspire', 'rating'] as const;
export type InteractionKindName = (typeof INTERACTION_KINDS)[number];

/** Synced from the platform, or received by this service through `POST /events`. */
export type InteractionOrigin = 'synced' | 'received';

/** The platform table of each kind and its time column. */
const PLATFORM_TABLES = [
  { kind: 'view', table: 'PostView', time: 'viewed_at', rating: false },
  { kind: 'like', table: 'PostLike', time: 'liked_at', rating: false },
  { kind: 'inspire', table: 'PostInspire', time: 'inspired_at', rating: false },
  { kind: 'rating', table: 'PostRating', time: 'rated_at', rating: true },
] as const;

export interface InteractionEntry {
  kind: InteractionKindName;
  origin: InteractionOrigin;
  userId: number;
  postId: number;
  /** `"YYYY-MM-DD HH:MM:SS"` UTC. */
  at: string;
  ratingPercent: number | null;
}

/** Interactions of one user or of one post. */
export type InteractionFilter = { userId: number } | { postId: number };

const whereOf = (filter: InteractionFilter | undefined): RawBuilder<unknown> =>
  filter === undefined
    ? sql``
    : 'userId' in filter
      ? sql`where user_id = ${filter.userId}`
      : sql`where post_id = ${filter.postId}`;

/** Every interaction matching `filter` as rows (kind, origin, user_id, post_id, at, rating_percent). */
function unionOf(filter: InteractionFilter | undefined): RawBuilder<unknown> {
  const where = whereOf(filter);
  const branches = PLATFORM_TABLES.map(
    (t) =>
      sql`select ${sql.lit(t.kind)} as kind, 'synced' as origin, user_id, post_id, ${sql.ref(t.time)} as at, ${
        t.rating ? sql.ref('rating_percent') : sql`cast(null as double precision)`
      } as rating_percent from ${sql.table(t.table)} ${where}`,
  );
  branches.push(
    sql`select type as kind, 'received' as origin, user_id, post_id, created_at as at, rating_percent from ${sql.table('FeedEvent')} ${where}`,
  );
  return sql.join(branches, sql` union all `);
}

/**
 * The newest `limit` interactions of a user or a post, newest first.
 * @example const history = await interactionsOf(store.db, { userId: 42 }, 200);
 */
export async function interactionsOf(
  db: Kysely<Database>,
  filter: InteractionFilter,
  limit: number,
): Promise<InteractionEntry[]> {
  const { rows } = await sql<{
    kind: string;
    origin: string;
    user_id: number | string;
    post_id: number | string;
    at: string;
    rating_percent: number | string | null;
  }>`select * from (${unionOf(filter)}) i order by at desc, post_id limit ${limit}`.execute(db);
  return rows.map((r) => ({
    kind: r.kind as InteractionKindName,
    origin: r.origin as InteractionOrigin,
    userId: Number(r.user_id),
    postId: Number(r.post_id),
    at: r.at,
    ratingPercent: r.rating_percent === null ? null : Number(r.rating_percent),
  }));
}

/** Counts per kind and origin. */
export type KindCounts = Record<InteractionOrigin, Record<InteractionKindName, number>>;

/**
 * How many interactions of each kind a user or a post has (or the whole store), per origin.
 * @example (await countsByKind(store.db, { postId: 7 })).synced.like
 */
export async function countsByKind(db: Kysely<Database>, filter?: InteractionFilter): Promise<KindCounts> {
  const { rows } = await sql<{ kind: string; origin: string; n: number | string }>`
    select kind, origin, count(*) as n from (${unionOf(filter)}) i group by kind, origin`.execute(db);
  const counts: KindCounts = {
    synced: { view: 0, like: 0, inspire: 0, rating: 0 },
    received: { view: 0, like: 0, inspire: 0, rating: 0 },
  };
  for (const r of rows) {
    const origin = r.origin as InteractionOrigin;
    if ((INTERACTION_KINDS as readonly string[]).includes(r.kind) && counts[origin]) {
      counts[origin][r.kind as InteractionKindName] += Number(r.n);
    }
  }
  return counts;
}

/** Counts per day: `days` ascending, and for each series one count per day. */
export interface PerDay {
  days: string[];
  series: { label: string; kind: InteractionKindName; origin: InteractionOrigin; counts: number[] }[];
}

/**
 * Interactions per UTC day by kind, from one origin: the four platform tables (`synced`), or the events
 * the service received itself (`received`, only the kinds that occur). Kept apart because they cover
 * different periods (a platform export's history, this service's recent days): on one axis, either would
 * flatten the other.
 * @example const { days, series } = await interactionsPerDay(store.db);
 */
export async function interactionsPerDay(
  db: Kysely<Database>,
  filter?: InteractionFilter,
  origin: InteractionOrigin = 'synced',
): Promise<PerDay> {
  const where = whereOf(filter);
  const raw: { label: string; kind: InteractionKindName; byDay: Map<string, number> }[] = [];
  const grouped = async (query: RawBuilder<unknown>) =>
    (await sql<{ day: string; kind: string; n: number | string }>`${query}`.execute(db)).rows;
  if (origin === 'synced') {
    for (const t of PLATFORM_TABLES) {
      const rows = await grouped(
        sql`select substr(${sql.ref(t.time)}, 1, 10) as day, ${sql.lit(t.kind)} as kind, count(*) as n
            from ${sql.table(t.table)} ${where} group by substr(${sql.ref(t.time)}, 1, 10)`,
      );
      raw.push({ label: `${t.kind}s`, kind: t.kind, byDay: new Map(rows.map((r) => [r.day, Number(r.n)])) });
    }
  } else {
    const received = await grouped(
      sql`select substr(created_at, 1, 10) as day, type as kind, count(*) as n
          from ${sql.table('FeedEvent')} ${where} group by substr(created_at, 1, 10), type`,
    );
    for (const kind of INTERACTION_KINDS) {
      const rows = received.filter((r) => r.kind === kind);
      if (rows.length > 0)
        raw.push({ label: `${kind}s received`, kind, byDay: new Map(rows.map((r) => [r.day, Number(r.n)])) });
    }
  }
  const days = dayRange([...new Set(raw.flatMap((s) => [...s.byDay.keys()]))].sort());
  return {
    days,
    series: raw.map((s) => ({
      label: s.label,
      kind: s.kind,
      origin,
      counts: days.map((d) => s.byDay.get(d) ?? 0),
    })),
  };
}

const DAY_MS = 86_400_000;

/** Every day from the first to the last of `sorted` (days without interactions count as 0, not as gaps). */
function dayRange(sorted: string[]): string[] {
  if (sorted.length === 0) return [];
  const first = Date.parse(`${sorted[0]}T00:00:00Z`);
  const last = Date.parse(`${sorted[sorted.length - 1]}T00:00:00Z`);
  // Unparseable times, or a span too long to plot day by day: the days that occur, as they are.
  if (Number.isNaN(first) || Number.isNaN(last) || last - first > 3660 * DAY_MS) return sorted;
  const days: string[] = [];
  for (let t = first; t <= last; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}
