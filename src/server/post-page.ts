// Sends a ranked page of posts (a feed or a discovery list) in the feed's format: each post's JSON from
// the snapshot's post cache, with score, source and reason appended when explanations were asked for.
import type { FastifyReply } from 'fastify';
import type { FeedItem } from '../recommend/index.js';
import type { ServerContext } from './context.js';
import { sendJsonText } from './errors.js';
import { feedBody, withExplanation } from './render.js';

/**
 * Replies `{"status": "success", page, page_size, post: […]}` for `items`; a post the store no longer
 * holds is left out.
 * @example return sendPostPage(reply, ctx, { page: 1, pageSize: 10, items }, false);
 */
export async function sendPostPage(
  reply: FastifyReply,
  ctx: ServerContext,
  result: { page: number; pageSize: number; items: readonly FeedItem[] },
  explain: boolean,
): Promise<FastifyReply> {
  const rendered = await ctx.posts().get(result.items.map((item) => item.postId));
  const posts: Buffer[] = [];
  result.items.forEach((item, i) => {
    const json = rendered[i];
    if (json !== undefined) posts.push(explain ? withExplanation(json, item) : json);
  });
  return sendJsonText(reply, feedBody(result.page, result.pageSize, posts));
}
