// GET /feed: a user's ranked page of posts in the contract's format, live events included.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FeedRequest } from '../../recommend/index.js';
import type { ServerContext } from '../context.js';
import { sendPostPage } from '../post-page.js';
import { ErrorResponse, FeedQuery, FeedResponse } from '../schemas.js';
import { userIdOfQuery } from '../user-directory.js';

export function registerFeedRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.withTypeProvider<ZodTypeProvider>().get('/feed', {
    schema: {
      summary: 'A ranked feed page for a user',
      description:
        'Posts ranked for the user by the recommendation model, never one they interacted with (live events ' +
        'from POST /events included). Unknown users get a cold-start feed (popular and fresh). Pages are ' +
        'stable for one model snapshot; a page past the end is an empty list. A page with posts carries a ' +
        '`recomm_id`: send it with the POST /events of what the user did with those posts. With EXPERIMENTS ' +
        'configured, a request without `model` is ranked by the arm its user_id is assigned to.',
      tags: ['feed'],
      querystring: FeedQuery,
      response: { 200: FeedResponse, 400: ErrorResponse, 503: ErrorResponse },
    },
    handler: async (request, reply) => {
      const q = request.query;
      const userId = await userIdOfQuery(ctx.users, q);
      const category = q.category ?? q.project_code;
      const explain = q.explain === 'true' || q.explain === '1';
      // A request that names its model is not in an experiment; an anonymous one cannot be.
      const assigned = q.model === undefined && userId !== undefined ? ctx.experiments.assign(userId) : null;
      const model = q.model ?? assigned?.arm.model ?? ctx.defaultModel;
      const feedRequest: FeedRequest = { page: q.page, pageSize: q.page_size, model, explain };
      if (assigned !== null) {
        if (assigned.arm.params?.compose !== undefined) feedRequest.compose = assigned.arm.params.compose;
        const composition = assigned.arm.params?.composition;
        if (composition !== undefined) feedRequest.composeOptions = composition;
        ctx.metrics.experimentFeeds.inc({ experiment: assigned.experiment, arm: assigned.arm.name });
      }
      if (userId !== undefined) feedRequest.userId = userId;
      if (category !== undefined) feedRequest.category = category;
      const live = ctx.liveEvents.forUser(userId);
      if (live !== undefined) feedRequest.liveEvents = live;
      const result = await ctx.model.feed(feedRequest);
      return sendPostPage(reply as FastifyReply, ctx, result, explain, {
        userId: userId ?? null,
        route: 'feed',
        arm: assigned?.label ?? model,
      });
    },
  });
}
