// POST /events: stores an interaction the app reports and applies it to the user's next feed at once.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { FeedError } from '../../shared/errors.js';
import { insertFeedEvent } from '../../store/feed-events.js';
import { upstreamTimeToSeconds } from '../../store/training-data.js';
import { requireBearer } from '../auth.js';
import type { ServerContext } from '../context.js';
import { ErrorResponse, EventBody, StoredEvent } from '../schemas.js';

/** With `eventsToken`, the route needs `Authorization: Bearer <eventsToken>` (401 otherwise). */
export function registerEventRoutes(app: FastifyInstance, ctx: ServerContext, eventsToken?: string): void {
  app.withTypeProvider<ZodTypeProvider>().post('/events', {
    ...(eventsToken === undefined
      ? {}
      : {
          onRequest: requireBearer(
            eventsToken,
            'events',
            'POST /events needs the header Authorization: Bearer <EVENTS_TOKEN>',
          ),
        }),
    schema: {
      summary: 'Report an interaction (view, like, inspire, rating)',
      description:
        "Stores the interaction and applies it to the user's next feed at once, without a model rebuild: " +
        'the post never comes back in their feed and the ranking shifts. The next model build learns from it.' +
        (eventsToken === undefined ? '' : ' Needs Authorization: Bearer <EVENTS_TOKEN>.'),
      tags: ['feed'],
      body: EventBody,
      response: { 201: StoredEvent, 400: ErrorResponse, 401: ErrorResponse },
      ...(eventsToken === undefined ? {} : { security: [{ eventsToken: [] }] }),
    },
    handler: async (request, reply) => {
      const body = request.body;
      const post = await ctx.store.db
        .selectFrom('Post')
        .select('id')
        .where('id', '=', body.post_id)
        .executeTakeFirst();
      if (post === undefined) {
        throw new FeedError('bad_request', `post_id must be the id of a stored post, got ${body.post_id}`);
      }
      const event = await insertFeedEvent(ctx.store, {
        user_id: body.user_id,
        post_id: body.post_id,
        type: body.type,
        rating_percent: body.rating_percent ?? null,
      });
      ctx.liveEvents.add(event.user_id, {
        eventId: event.id,
        postId: event.post_id,
        kind: event.type,
        at: upstreamTimeToSeconds(event.created_at),
        ...(event.rating_percent === null ? {} : { ratingPercent: event.rating_percent }),
      });
      ctx.metrics.feedEvents.inc({ type: event.type });
      return reply.code(201).send(event);
    },
  });
}
