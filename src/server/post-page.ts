// Sends a ranked page of posts (a feed or a discovery list) in the feed's format: each post's JSON from
// the snapshot's post cache, with score, source and reason appended when explanations were asked for. A
// page with posts is logged as an impression and carries its `recomm_id`.
import type { FastifyReply } from 'fastify';
import type { FeedItem } from '../recommend/index.js';
import type { ServerContext } from './context.js';
import { sendJsonText } from './errors.js';
import type { ServedPage } from './impressions.js';
import { feedBody, withExplanation } from './render.js';

/** Who the page is for and what ranked it (the impression's fields besides its posts). */
export type PageAudience = Omit<ServedPage, 'postIds'>;

/**
 * Replies `{"status": "success", page, page_size, post: […], recomm_id}` for `items`; a post the store no
 * longer holds is left out; an empty page has no `recomm_id` (nothing was shown, nothing is logged).
 * @example return sendPostPage(reply, ctx, { page: 1, pageSize: 10, items }, false, { userId: 1, route: 'feed', arm: 'hybrid' });
 */
export async function sendPostPage(
  reply: FastifyReply,
  ctx: ServerContext,
  result: { page: number; pageSize: number; items: readonly FeedItem[] },
  explain: boolean,
  audience: PageAudience,
): Promise<FastifyReply> {
  const rendered = await ctx.posts().get(result.items.map((item) => item.postId));
  const posts: Buffer[] = [];
  const shown: number[] = [];
  result.items.forEach((item, i) => {
    const json = rendered[i];
    if (json === undefined) return;
    posts.push(explain ? withExplanation(json, item) : json);
    shown.push(item.postId);
  });
  const recommId = shown.length === 0 ? undefined : ctx.impressions.record({ ...audience, postIds: shown });
  return sendJsonText(reply, feedBody(result.page, result.pageSize, posts, recommId));
}
