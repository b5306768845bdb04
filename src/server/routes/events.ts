// POST /events: stores an interaction the app reports and applies it to the user's next feed at once.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { FeedError } from '../../shared/errors.js';
import { type FeedEventRow, insertFeedEvent } from '../../store/feed-events.js';
import { upstreamTimeToSeconds } from '../../store/training-data.js';
import { isDatabaseUnavailable } from '../../store/unavailable.js';
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
        ' 503 (with Retry-After) while the database is unreachable: the event was not accepted; send it again.' +
        (eventsToken === undefined ? '' : ' Needs Authorization: Bearer <EVENTS_TOKEN>.'),
      tags: ['feed'],
      body: EventBody,
      response: { 201: StoredEvent, 400: ErrorResponse, 401: ErrorResponse, 503: ErrorResponse },
      ...(eventsToken === undefined ? {} : { security: [{ eventsToken: [] }] }),
    },
    handler: async (request, reply) => {
      const body = request.body;
      const event = await storeEvent(ctx, body);
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

/**
 * Stores the event (after checking its post exists). While the database is unreachable it throws
 * `store_unavailable` (503): the client learns the event was not accepted, so nothing is silently lost.
 */
async function storeEvent(ctx: ServerContext, body: EventBody): Promise<FeedEventRow> {
  try {
    const post = await ctx.store.db
      .selectFrom('Post')
      .select('id')
      .where('id', '=', body.post_id)
      .executeTakeFirst();
    if (post === undefined) {
      throw new FeedError('bad_request', `post_id must be the id of a stored post, got ${body.post_id}`);
    }
    return await insertFeedEvent(ctx.store, {
      user_id: body.user_id,
      post_id: body.post_id,
      type: body.type,
      rating_percent: body.rating_percent ?? null,
    });
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    throw new FeedError(
      'store_unavailable',
      'the event was not accepted: the database is unreachable right now; send it again shortly (see /ready)',
      { cause: error },
    );
  }
}
