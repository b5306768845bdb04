// POST /events: stores an interaction the app reports and applies it to the user's next feed at once.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { describeError, FeedError } from '../../shared/errors.js';
import {
  type FeedEventRow,
  insertFeedEvent,
  insertFeedEventOnce,
  type KeyedFeedEvent,
} from '../../store/feed-events.js';
import { type Attribution, findAttribution } from '../../store/impressions.js';
import { upstreamTimeToSeconds } from '../../store/training-data.js';
import { isDatabaseUnavailable } from '../../store/unavailable.js';
import { requireBearer } from '../auth.js';
import type { ServerContext } from '../context.js';
import { ErrorResponse, EventBody, EventHeaders, StoredEvent } from '../schemas.js';

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
        ' With an Idempotency-Key header, a retry is stored once: 200 with the first event and duplicate: true.' +
        ' 503 (with Retry-After) while the database is unreachable: the event was not accepted; send it again.' +
        (eventsToken === undefined ? '' : ' Needs Authorization: Bearer <EVENTS_TOKEN>.'),
      tags: ['feed'],
      body: EventBody,
      headers: EventHeaders,
      response: {
        200: StoredEvent,
        201: StoredEvent,
        400: ErrorResponse,
        401: ErrorResponse,
        409: ErrorResponse,
        503: ErrorResponse,
      },
      ...(eventsToken === undefined ? {} : { security: [{ eventsToken: [] }] }),
    },
    handler: async (request, reply) => {
      const body = request.body;
      const { event, duplicate } = await storeEvent(ctx, body, request.headers['idempotency-key']);
      const attribution = duplicate
        ? await attributionOf(ctx, event, request.log)
        : await attribute(ctx, event, body.recomm_id, request.log);
      if (duplicate) return reply.code(200).send(answer(event, true, attribution));
      ctx.liveEvents.add(event.user_id, {
        eventId: event.id,
        postId: event.post_id,
        kind: event.type,
        at: upstreamTimeToSeconds(event.created_at),
        ...(event.rating_percent === null ? {} : { ratingPercent: event.rating_percent }),
      });
      ctx.metrics.feedEvents.inc({ type: event.type });
      return reply.code(201).send(answer(event, false, attribution));
    },
  });
}

/** The answer to a stored (or, with `duplicate`, an already stored) event. */
function answer(event: FeedEventRow, duplicate: boolean, attribution: Attribution | null) {
  return {
    ...event,
    duplicate,
    attribution:
      attribution === null
        ? null
        : { recomm_id: attribution.recommId, position: attribution.position, arm: attribution.arm },
  };
}

/** The attribution made when a repeated event was first stored (a failed look answers none, logged). */
async function attributionOf(
  ctx: ServerContext,
  event: FeedEventRow,
  log: FastifyBaseLogger,
): Promise<Attribution | null> {
  try {
    return await findAttribution(ctx.store.db, event.id);
  } catch (error) {
    log.warn({ err: describeError(error), event: event.id }, 'could not read the attribution of an event');
    return null;
  }
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
 * Stores the event (after checking its post exists), once per `idempotencyKey` when given (a key used
 * before answers the event stored then, `duplicate`). While the database is unreachable it throws
 * `store_unavailable` (503): the client learns the event was not accepted, so nothing is silently lost.
 */
async function storeEvent(
  ctx: ServerContext,
  body: EventBody,
  idempotencyKey: string | undefined,
): Promise<KeyedFeedEvent> {
  try {
    const post = await ctx.store.db
      .selectFrom('Post')
      .select('id')
      .where('id', '=', body.post_id)
      .executeTakeFirst();
    if (post === undefined) {
      throw new FeedError('bad_request', `post_id must be the id of a stored post, got ${body.post_id}`);
    }
    const event = {
      user_id: body.user_id,
      post_id: body.post_id,
      type: body.type,
      rating_percent: body.rating_percent ?? null,
    };
    if (idempotencyKey !== undefined) return await insertFeedEventOnce(ctx.store, event, idempotencyKey);
    return { event: await insertFeedEvent(ctx.store, event), duplicate: false };
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    throw new FeedError(
      'store_unavailable',
      'the event was not accepted: the database is unreachable right now; send it again shortly (see /ready)',
      { cause: error },
    );
  }
}
