// The discovery routes, the lists a feed product offers besides "for you": GET /posts/{id}/similar,
// /feed/trending and /feed/latest, in the feed's post format with /feed's paging and category filter,
// and an optional user_id whose posts are left out. Computed in the model workers from the snapshot in force.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  DEFAULT_DISCOVERY,
  type DiscoveryList,
  type DiscoveryRequest,
  type FeedItem,
} from '../../recommend/index.js';
import { FeedError } from '../../shared/errors.js';
import type { ServerContext } from '../context.js';
import { sendPostPage } from '../post-page.js';
import { DiscoveryQuery, ErrorResponse, FeedResponse, PostParams } from '../schemas.js';
import { userIdOfQuery } from '../user-directory.js';

const COMMON =
  'Posts in the /feed format, paged and filtered like /feed (page, page_size, category or project_code); ' +
  'with user_id (or username), every post that user interacted with (events since the snapshot included) ' +
  'is left out. ' +
  'Pages are stable for one model snapshot; a page past the end is an empty list. A page with posts ' +
  'carries a `recomm_id` (see /feed).';

const explained = (q: DiscoveryQuery) => q.explain === 'true' || q.explain === '1';

/** The discovery request of a validated query, for the user it names (`userIdOfQuery`). */
function discoveryRequest(
  list: DiscoveryList,
  ctx: ServerContext,
  q: DiscoveryQuery,
  userId: number | undefined,
): DiscoveryRequest {
  const request: DiscoveryRequest = { list, page: q.page, pageSize: q.page_size };
  const category = q.category ?? q.project_code;
  if (category !== undefined) request.category = category;
  if (explained(q)) request.explain = true;
  if (list === 'trending') {
    // Everyone's events since the snapshot (above its FeedEvent watermark) add their momentum at once.
    const everyone = ctx.liveEvents.all();
    if (everyone.length > 0) request.momentumEvents = everyone;
  }
  if (userId !== undefined) {
    request.userId = userId;
    const live = ctx.liveEvents.forUser(userId);
    if (live !== undefined) request.liveEvents = live;
  }
  return request;
}

export function registerDiscoveryRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const response = { 200: FeedResponse, 400: ErrorResponse, 503: ErrorResponse };

  typed.get('/posts/:id/similar', {
    schema: {
      summary: 'Posts similar to one post',
      description:
        'Item-to-item neighbours of the post from the model in force: item-kNN cosine (people who engaged ' +
        'with this post engaged with those) plus content cosine (summary, keywords, title, category), so a ' +
        'post nobody interacted with yet still has neighbours. Never the post itself. An id that is no ' +
        'stored post answers 404; a post synced after the model was built has none until the next build ' +
        `(an empty list). ${COMMON}`,
      tags: ['discovery'],
      params: PostParams,
      querystring: DiscoveryQuery,
      response: { ...response, 404: ErrorResponse },
    },
    handler: async (request, reply) => {
      const q = request.query;
      const postId = request.params.id;
      const userId = await userIdOfQuery(ctx.users, q);
      let result: { page: number; pageSize: number; items: readonly FeedItem[] };
      try {
        result = await ctx.model.discover({ ...discoveryRequest('similar', ctx, q, userId), postId });
      } catch (error) {
        if (!(error instanceof FeedError && error.code === 'not_found')) throw error;
        if (!(await isStoredPost(ctx, postId))) {
          throw new FeedError('not_found', `no post ${postId}: the id is not a stored post`);
        }
        result = { page: q.page, pageSize: q.page_size, items: [] };
      }
      return sendPostPage(reply as FastifyReply, ctx, result, explained(q), {
        userId: userId ?? null,
        route: 'similar',
        arm: 'similar',
      });
    },
  });

  const lists: [DiscoveryList, string, string, string][] = [
    [
      'trending',
      '/feed/trending',
      'Trending posts: recent momentum',
      'Posts by momentum: each user who engaged with a post counts their interaction weight (by kind, as ' +
        `the model weighs them), halved for every ${DEFAULT_DISCOVERY.trendingHalfLifeDays} days between ` +
        "their latest interaction with it and the model's newest interaction; events received since the " +
        'model was built (POST /events) add their weight at once. Posts nobody engaged with are not listed.',
    ],
    [
      'latest',
      '/feed/latest',
      'The newest posts',
      'Every post of the model in force, newest first by created_at (ties: the higher id first).',
    ],
  ];
  for (const [list, path, summary, description] of lists) {
    typed.get(path, {
      schema: {
        summary,
        description: `${description} ${COMMON}`,
        tags: ['discovery'],
        querystring: DiscoveryQuery,
        response,
      },
      handler: async (request, reply) => {
        const q = request.query;
        const userId = await userIdOfQuery(ctx.users, q);
        const result = await ctx.model.discover(discoveryRequest(list, ctx, q, userId));
        return sendPostPage(reply as FastifyReply, ctx, result, explained(q), {
          userId: userId ?? null,
          route: list,
          arm: list,
        });
      },
    });
  }
}

/** Whether the store holds a post with this id (one primary-key lookup; 404s are not cached). */
async function isStoredPost(ctx: ServerContext, postId: number): Promise<boolean> {
  const row = await ctx.store.db.selectFrom('Post').select('id').where('id', '=', postId).executeTakeFirst();
  return row !== undefined;
}
