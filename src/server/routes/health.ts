// Liveness, readiness, Prometheus metrics and the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { describeError } from '../../shared/errors.js';
import { isDatabaseUnavailable } from '../../store/unavailable.js';
import { SOURCE_NAMES } from '../../upstream/sources.js';
import type { ServerContext } from '../context.js';
import { HealthResponse, ReadyResponse } from '../schemas.js';
import { configurationLine } from '../snapshot-build.js';

/** The latest `lastSyncedAt` over every source, or null when none has completed a sync. */
async function lastSyncAt(ctx: ServerContext): Promise<string | null> {
  let latest: string | null = null;
  for (const source of [...SOURCE_NAMES, 'summaries'] as const) {
    const at = (await ctx.store.getSyncState(source))?.lastSyncedAt ?? null;
    if (at !== null && (latest === null || at > latest)) latest = at;
  }
  return latest;
}

/** How long /ready waits for the database: a load balancer's health check should not hang. */
const STORE_CHECK_MS = 2000;

/** `work`, or a rejection saying the database did not answer within `ms`. */
function withinTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })),
      ms,
    );
  });
  work.catch(() => {}); // its failure after the timeout is not unhandled
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function registerHealthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get('/health', {
    schema: {
      summary: 'Liveness: the process answers',
      tags: ['operations'],
      response: { 200: HealthResponse },
    },
    handler: async () => ({
      status: 'ok' as const,
      uptime_seconds: Math.round((Date.now() - ctx.startedAt) / 1000),
    }),
  });

  typed.get('/ready', {
    schema: {
      summary: 'Readiness: store reachable and a model loaded (503 otherwise)',
      tags: ['operations'],
      response: { 200: ReadyResponse, 503: ReadyResponse },
    },
    handler: async (_request, reply) => {
      let store: { ok: boolean; error?: string } = { ok: true };
      let syncedAt: string | null = null;
      try {
        syncedAt = await withinTimeout(
          (async () => {
            await sql`select 1`.execute(ctx.store.db);
            return lastSyncAt(ctx);
          })(),
          STORE_CHECK_MS,
        );
      } catch (error) {
        const reason = describeError(error).slice(0, 200);
        store = {
          ok: false,
          error: isDatabaseUnavailable(error) ? `database unreachable: ${reason}` : reason,
        };
      }
      const events = ctx.eventFollower.status;
      const info = ctx.model.info;
      const workers = ctx.model.workerCount;
      // Ready only once every configured worker serves: a half-started pool would take full load.
      const ready = store.ok && info !== null && workers.serving === workers.configured && ctx.postsWarm();
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        checks: {
          store,
          events: {
            ok: events.ok,
            listening: events.listening,
            last_event_id: events.lastEventId,
            pending_gaps: events.pendingGaps,
            error: events.error,
          },
          model: {
            ok: info !== null,
            building: ctx.model.isBuilding,
            error: ctx.model.lastError,
            workers,
            build_step: ctx.model.buildStep,
            posts_warm: ctx.postsWarm(),
            live_events: ctx.liveEvents.size,
          },
        },
        model:
          info === null
            ? null
            : {
                generation: info.generation,
                snapshot_id: info.snapshotId,
                origin: info.origin,
                built_at: info.builtAt,
                serving_since: info.servingSince,
                age_seconds: Math.round((Date.now() - Date.parse(info.builtAt)) / 1000),
                build_seconds: Math.round(info.buildSeconds * 1000) / 1000,
                load_seconds: Math.round(info.loadSeconds * 1000) / 1000,
                bytes: info.byteSize,
                users: info.users,
                posts: info.posts,
                interactions: info.interactions,
                feed_event_watermark: info.feedEventWatermark,
                sync_watermark: info.syncWatermark,
                models: info.models,
              },
        configuration:
          info === null
            ? null
            : {
                tuned:
                  info.tuned === null
                    ? null
                    : {
                        id: info.tuned.id,
                        created_at: info.tuned.createdAt,
                        baseline_ndcg20: info.tuned.baselineNdcg20,
                        tuned_ndcg20: info.tuned.tunedNdcg20,
                      },
                line: configurationLine(info.tuned),
                since: info.servingSince,
              },
        last_sync_at: syncedAt,
      });
    },
  });

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['operations'] } },
    async (_r, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, async (_r, reply) =>
    reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger())),
  );
}
