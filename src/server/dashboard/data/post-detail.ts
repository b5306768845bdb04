// A post as the post inspector shows it: its stored record, its derived summary and keywords, and the posts
// its audience also interacted with (co-interaction neighbours, counted in the store).
import { type Kysely, sql } from 'kysely';
import { POST_SPEC } from '../../../store/columns.js';
import { decodeRow } from '../../../store/records.js';
import type { Database } from '../../../store/schema.js';
import { categoryNameOf } from './catalogue.js';

export interface PostDetail {
  id: number;
  title: string;
  category: string | null;
  creator: string | null;
  creatorName: string;
  /** Epoch ms, or null. */
  createdAt: number | null;
  videoLink: string | null;
  counts: { views: number; upvotes: number; ratings: number; averageRating: number; comments: number };
  tags: string[];
}

export interface PostSummaryDetail {
  summary: string;
  keywords: string[];
  category: string | null;
  estimatedDuration: string | null;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * The stored post, or null.
 * @example (await postDetail(store.db, 7))?.title
 */
export async function postDetail(db: Kysely<Database>, id: number): Promise<PostDetail | null> {
  const row = await db.selectFrom('Post').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) return null;
  const post = decodeRow<Record<string, unknown>>(POST_SPEC, row);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return {
    id,
    title: str(post.title) ?? '',
    category: categoryNameOf(row.category),
    creator: str(post.username),
    creatorName: [str(post.first_name), str(post.last_name)].filter((s) => s !== null).join(' '),
    createdAt: typeof post.created_at === 'number' ? post.created_at : null,
    videoLink: str(post.video_link),
    counts: {
      views: num(post.view_count),
      upvotes: num(post.upvote_count),
      ratings: num(post.rating_count),
      averageRating: num(post.average_rating),
      comments: num(post.comment_count),
    },
    tags: Array.isArray(post.tags) ? post.tags.map(String) : [],
  };
}

/**
 * The post's PostSummary row (what content similarity reads), or null before summaries were derived.
 * @example (await postSummary(store.db, 7))?.keywords
 */
export async function postSummary(db: Kysely<Database>, id: number): Promise<PostSummaryDetail | null> {
  const row = await db.selectFrom('PostSummary').selectAll().where('post_id', '=', id).executeTakeFirst();
  if (row === undefined) return null;
  let keywords: string[] = [];
  try {
    const parsed = JSON.parse(row.keywords) as unknown;
    if (Array.isArray(parsed)) keywords = parsed.map(String);
  } catch {
    keywords = [];
  }
  return {
    summary: row.summary,
    keywords,
    category: row.category,
    estimatedDuration: row.estimated_duration,
  };
}

export interface CoInteraction {
  postId: number;
  /** Distinct users who interacted with both posts. */
  sharedUsers: number;
}

/** (user_id, post_id) of every interaction, each branch filtered by `where`. */
function pairsWhere(where: ReturnType<typeof sql>) {
  const tables = ['PostView', 'PostLike', 'PostInspire', 'PostRating', 'FeedEvent'];
  return sql.join(
    tables.map((t) => sql`select user_id, post_id from ${sql.table(t)} ${where}`),
    sql` union all `,
  );
}

/**
 * Posts most often interacted with by the users of `postId`, and the number of those users.
 * @example const { audience, neighbours } = await coInteractionNeighbours(store.db, 7, 10);
 */
export async function coInteractionNeighbours(
  db: Kysely<Database>,
  postId: number,
  limit: number,
): Promise<{ audience: number; neighbours: CoInteraction[] }> {
  const audienceQuery = sql`select distinct user_id from (${pairsWhere(sql`where post_id = ${postId}`)}) a`;
  const { rows: audience } = await sql<{ n: number | string }>`
    select count(*) as n from (${audienceQuery}) u`.execute(db);
  const { rows } = await sql<{ post_id: number | string; shared: number | string }>`
    with audience as (${audienceQuery}),
    pairs as (
      select distinct user_id, post_id
      from (${pairsWhere(sql`where user_id in (select user_id from audience)`)}) b
    )
    select post_id, count(*) as shared from pairs where post_id <> ${postId}
    group by post_id order by count(*) desc, post_id limit ${limit}`.execute(db);
  return {
    audience: Number(audience[0]?.n ?? 0),
    neighbours: rows.map((r) => ({ postId: Number(r.post_id), sharedUsers: Number(r.shared) })),
  };
}
