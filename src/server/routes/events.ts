// POST /events: stores an interaction the app reports and applies it to the user's next feed at once.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { describeError, FeedError } from '../../shared/errors.js';
import { type FeedEventRow, insertFeedEvent } from '../../store/feed-events.js';
import type { Attribution } from '../../store/impressions.js';
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
        ' The answer says which served page (recomm_id) and position the event was attributed to.' +
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
      const attribution = await attribute(ctx, event, body.recomm_id, request.log);
      ctx.liveEvents.add(event.user_id, {
        eventId: event.id,
        postId: event.post_id,
        kind: event.type,
        at: upstreamTimeToSeconds(event.created_at),
        ...(event.rating_percent === null ? {} : { ratingPercent: event.rating_percent }),
      });
      ctx.metrics.feedEvents.inc({ type: event.type });
      return reply.code(201).send({
        ...event,
        attribution:
          attribution === null
            ? null
            : { recomm_id: attribution.recommId, position: attribution.position, arm: attribution.arm },
      });
    },
  });
}

/**
 * Attributes the stored event to a served page. The event is accepted whatever happens here: a failure
 * (the database gone meanwhile) is logged and answers no attribution.
 */
async function attribute(
  ctx: ServerContext,
  event: FeedEventRow,
  recommId: string | undefined,
  log: FastifyBaseLogger,
): Promise<Attribution | null> {
  try {
    return await ctx.impressions.attribute(event, recommId);
  } catch (error) {
    log.warn({ err: describeError(error), event: event.id }, 'could not attribute an event to an impression');
    return null;
  }
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
