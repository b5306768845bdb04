// Renders a stored post as the feed's post object (api-contract.md, Feed API): the owner object built from
// the post's creator fields, strings never null, counts never null, and the JSON text cached by the caller.
import type { FeedItem } from '../recommend/index.js';

type Json = Record<string, unknown>;

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const bool = (v: unknown): boolean => v === true || v === 1;
const obj = (v: unknown): Json | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;

/** The contract's `category` object; missing keys filled (id and count null when unknown). */
function category(value: unknown): Json {
  const c = obj(value) ?? {};
  return {
    ...c,
    id: typeof c.id === 'number' ? c.id : null,
    name: str(c.name),
    count: typeof c.count === 'number' ? c.count : 0,
    description: str(c.description),
    image_url: str(c.image_url),
  };
}

function baseToken(value: unknown): Json {
  const t = obj(value) ?? {};
  return {
    ...t,
    address: str(t.address),
    name: str(t.name),
    symbol: str(t.symbol),
    image_url: str(t.image_url),
  };
}

/**
 * The feed's post object for a stored post record (as `loadAllPosts` returns it).
 * @example renderPost(post).owner // { first_name, last_name, name, username, picture_url, user_type, … }
 */
export function renderPost(post: Json): Json {
  const firstName = str(post.first_name);
  const lastName = str(post.last_name);
  const topic = post.topic;
  return {
    id: post.id,
    owner: {
      first_name: firstName,
      last_name: lastName,
      name: [firstName, lastName].filter((s) => s !== '').join(' '),
      username: str(post.username),
      picture_url: str(post.picture_url),
      user_type: typeof post.user_type === 'string' ? post.user_type : null,
      has_evm_wallet: bool(post.has_evm_wallet),
      has_solana_wallet: bool(post.has_solana_wallet),
    },
    category: category(post.category),
    topic: typeof topic === 'object' ? topic : null,
    title: str(post.title),
    is_available_in_public_feed: post.is_available_in_public_feed !== false,
    is_locked: bool(post.is_locked),
    slug: str(post.slug),
    upvoted: bool(post.upvoted),
    bookmarked: bool(post.bookmarked),
    following: bool(post.following),
    identifier: str(post.identifier),
    comment_count: num(post.comment_count),
    upvote_count: num(post.upvote_count),
    view_count: num(post.view_count),
    exit_count: num(post.exit_count),
    rating_count: num(post.rating_count),
    average_rating: num(post.average_rating),
    share_count: num(post.share_count),
    bookmark_count: num(post.bookmark_count),
    video_link: str(post.video_link),
    thumbnail_url: str(post.thumbnail_url),
    gif_thumbnail_url: str(post.gif_thumbnail_url),
    contract_address: str(post.contract_address),
    chain_id: str(post.chain_id),
    chart_url: str(post.chart_url),
    baseToken: baseToken(post.baseToken),
    created_at: typeof post.created_at === 'number' ? post.created_at : 0,
    tags: Array.isArray(post.tags) ? post.tags : [],
  };
}

/** UTF-8 JSON of `renderPost(post)`: what the post cache keeps. */
export function renderPostJson(post: Json): Buffer {
  return Buffer.from(JSON.stringify(renderPost(post)));
}

/**
 * Appends an item's `score`, `source` and `reason` (explain=true) to a rendered post's JSON.
 * @example withExplanation(Buffer.from('{"id":1}'), { postId: 1, score: 0.5, source: 'hybrid' }) // {"id":1,"score":0.5,"source":"hybrid"}
 */
export function withExplanation(postJson: Buffer, item: FeedItem): Buffer {
  const extra: Json = { score: Number.isFinite(item.score) ? item.score : 0, source: item.source };
  if (item.reason !== undefined) extra.reason = item.reason;
  return Buffer.concat([postJson.subarray(0, -1), Buffer.from(`,${JSON.stringify(extra).slice(1)}`)]);
}

const COMMA = Buffer.from(',');
const TAIL = Buffer.from(']}');

/**
 * The feed response body from already-rendered posts (UTF-8 JSON each): one copy into one buffer, no
 * large string per request (a feed of 20 is ~40 KB). With `recommId`, it follows the posts as `recomm_id`.
 * @example feedBody(1, 10, [Buffer.from('{"id":1}')]).toString() // '{"status":"success","page":1,"page_size":10,"post":[{"id":1}]}'
 */
export function feedBody(
  page: number,
  pageSize: number,
  posts: readonly Buffer[],
  recommId?: string,
): Buffer {
  const parts: Buffer[] = [
    Buffer.from(`{"status":"success","page":${page},"page_size":${pageSize},"post":[`),
  ];
  posts.forEach((post, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(post);
  });
  parts.push(recommId === undefined ? TAIL : Buffer.from(`],"recomm_id":${JSON.stringify(recommId)}}`));
  return Buffer.concat(parts);
}
