// Catalogue-wide distributions for the plots page: posts per category and the popularity long tail
// (interactions per post, most popular first). Grouped in SQL; only the curve's shape is sent to the page.
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../store/schema.js';
import type { Dialect } from '../../../store/types.js';

export interface CategoryCount {
  /** The category's name, or null for posts without one. */
  name: string | null;
  posts: number;
}

/**
 * Stored posts per category name, largest first (ties by name, posts without a category last).
 * @example const [biggest] = await postsPerCategory(store.db, store.dialect);
 */
export async function postsPerCategory(db: Kysely<Database>, dialect: Dialect): Promise<CategoryCount[]> {
  // The one dialect difference: reading a field of the category JSON.
  const name = dialect === 'postgres' ? sql`category->>'name'` : sql`json_extract(category, '$.name')`;
  const { rows } = await sql<{ name: string | null; n: number | string }>`
    select ${name} as name, count(*) as n from ${sql.table('Post')} group by ${name}
    order by count(*) desc, case when ${name} is null then 1 else 0 end, ${name}`.execute(db);
  return rows.map((r) => ({ name: r.name === '' ? null : r.name, posts: Number(r.n) }));
}

export interface PopularityTail {
  /** Stored posts. */
  posts: number;
  /** Posts with at least one interaction (any kind, synced or received; also posts not stored). */
  interactedPosts: number;
  interactions: number;
  /** Stored posts nobody interacted with. */
  untouchedPosts: number;
  /** Share of all interactions on the most popular 1 %, 10 % and 20 % of interacted posts. */
  topShare: { top1: number; top10: number; top20: number };
  /** The curve: rank (1 = most popular) → interactions, at most `points` ranks spread over the tail. */
  curve: { rank: number; interactions: number }[];
}

/**
 * Interactions per post sorted most popular first, summarised.
 * @example (await popularityTail(store.db)).topShare.top10 // e.g. 0.41
 */
export async function popularityTail(db: Kysely<Database>, points = 400): Promise<PopularityTail> {
  const everyInteraction = sql`
    select post_id from ${sql.table('PostView')} union all
    select post_id from ${sql.table('PostLike')} union all
    select post_id from ${sql.table('PostInspire')} union all
    select post_id from ${sql.table('PostRating')} union all
    select post_id from ${sql.table('FeedEvent')}`;
  const { rows } = await sql<{ n: number | string }>`
    select count(*) as n from (${everyInteraction}) i group by post_id order by count(*) desc`.execute(db);
  const counts = rows.map((r) => Number(r.n));
  const { rows: stored } = await sql<{ posts: number | string; touched: number | string }>`
    select count(*) as posts,
      sum(case when id in (select post_id from (${everyInteraction}) j) then 1 else 0 end) as touched
    from ${sql.table('Post')}`.execute(db);
  const total = counts.reduce((a, b) => a + b, 0);
  const share = (fraction: number) => {
    if (total === 0) return 0;
    const top = Math.max(1, Math.ceil(counts.length * fraction));
    let n = 0;
    for (let i = 0; i < top && i < counts.length; i++) n += counts[i]!;
    return n / total;
  };
  const posts = Number(stored[0]?.posts ?? 0);
  return {
    posts,
    interactedPosts: counts.length,
    interactions: total,
    untouchedPosts: posts - Number(stored[0]?.touched ?? 0),
    topShare: { top1: share(0.01), top10: share(0.1), top20: share(0.2) },
    curve: sampleRanks(counts, points),
  };
}

/** Up to `points` (rank, value) pairs: every rank of a short list, else ranks spaced evenly, first and last kept. */
function sampleRanks(counts: readonly number[], points: number): { rank: number; interactions: number }[] {
  if (counts.length <= points) return counts.map((n, i) => ({ rank: i + 1, interactions: n }));
  const out: { rank: number; interactions: number }[] = [];
  for (let p = 0; p < points; p++) {
    const i = Math.round((p * (counts.length - 1)) / (points - 1));
    out.push({ rank: i + 1, interactions: counts[i]! });
  }
  return out;
}
