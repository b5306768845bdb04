// The feed service's HTTP application (Fastify): feed, discovery lists, platform data routes, events,
// health, metrics, OpenAPI + docs and admin, wired to the store, the model holder and the per-snapshot caches.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler } from 'fastify-type-provider-zod';
import { pino } from 'pino';
import { DEFAULT_MODEL, MODEL_NAMES, type ModelName } from '../recommend/index.js';
import { describeError, FeedError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { isInMemoryDatabase } from '../store/open.js';
import type { Store } from '../store/types.js';
import type { UpstreamClientOptions } from '../upstream/index.js';
import type { BatchGovernor } from './batch-governor.js';
import type { ClusterCoordinator } from './cluster.js';
import type { ServerContext } from './context.js';
import { registerDashboard } from './dashboard/index.js';
import { frameworkErrorHandler, installErrorHandling, validatorCompiler } from './errors.js';
import { EventFollower } from './event-follower.js';
import { type Experiment, Experiments } from './experiments.js';
import { threadImpressionWriter } from './impression-writer.js';
import { ImpressionLog, type ImpressionSettings } from './impressions.js';
import { LiveEvents } from './live-events.js';
import { ServerMetrics } from './metrics.js';
import type { ModelHolder, ModelInfo } from './model-holder.js';
import { PostCache } from './post-cache.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerDataRoutes } from './routes/data.js';
import { registerDiscoveryRoutes } from './routes/discovery.js';
import { registerEventRoutes } from './routes/events.js';
import { registerFeedRoute } from './routes/feed.js';
import { registerHealthRoutes } from './routes/health.js';
import { SyncRunner } from './sync-runner.js';
import { UserDirectory } from './user-directory.js';

export interface AppOptions {
  store: Store;
  /** The model holder; the app serves whatever snapshot it holds and rebuilds it after each sync. */
  model: ModelHolder;
  /** Model a feed request that names none uses. */
  defaultModel?: ModelName;
  /**
   * Enables the admin routes (`Authorization: Bearer <token>`) and the dashboard (`/dashboard`, sign-in or
   * Bearer); unset, they do not exist (404).
   */
  adminToken?: string;
  /** Upstream settings for admin and interval syncs; unset, `POST /admin/sync` answers 503. */
  upstream?: Omit<UpstreamClientOptions, 'signal'>;
  /** The database `store` was opened from: syncs then run in a low-priority child process. */
  database?: { url: string; schema?: string };
  /** Pauses sync processes for part of each period while serving is busy (see batch-governor.ts). */
  governor?: BatchGovernor;
  /** Sync every this many minutes (needs `upstream`). */
  syncIntervalMinutes?: number;
  /** Replicas on one PostgreSQL database: one sync at a time between them (see SyncRunner). */
  cluster?: ClusterCoordinator;
  /**
   * When set, the data routes with personal data (users, the interaction kinds) and /posts/summary/get
   * need this `Flic-Token`. Unset, the personal ones answer only while the app listens on loopback (403
   * on any other address).
   */
  dataToken?: string;
  /** When set, `POST /events` needs `Authorization: Bearer <eventsToken>` (401 otherwise). */
  eventsToken?: string;
  /** pino logger; default: none. */
  logger?: Logger;
  /** Log every request (two lines each); errors are logged either way. */
  logRequests?: boolean;
  /** Render every post of a new snapshot in the background, so feeds never wait for a post query. */
  warmPostCache?: boolean;
  /** Collect Node process metrics into /metrics. */
  processMetrics?: boolean;
  /** Impression log settings (retention, attribution window, buffer); defaults otherwise. */
  impressions?: ImpressionSettings;
  /**
   * A/B experiments (validated: `validateExperiments`/`parseExperiments`). Their arms may only name models
   * the snapshots hold: checked here, against the holder's build options.
   */
  experiments?: readonly Experiment[];
}

/**
 * Builds the application (not listening). The caller owns `store` and `model` and closes them after
 * `app.close()`, which stops syncs the app started.
 * @example
 * const app = await buildApp({ store, model: holder });
 * await app.listen({ host: '127.0.0.1', port: 0 });
 */
export async function buildApp({
  store,
  model,
  defaultModel = DEFAULT_MODEL,
  adminToken,
  upstream,
  database,
  governor,
  syncIntervalMinutes,
  cluster,
  dataToken,
  eventsToken,
  logger,
  logRequests = false,
  warmPostCache = true,
  processMetrics = true,
  impressions: impressionSettings = {},
  experiments: experimentList = [],
}: AppOptions): Promise<FastifyInstance> {
  if (!(MODEL_NAMES as readonly string[]).includes(defaultModel)) {
    throw new FeedError(
      'config_invalid',
      `default model must be one of ${MODEL_NAMES.join(', ')}, got ${JSON.stringify(defaultModel)}`,
    );
  }
  if (adminToken !== undefined && adminToken.length < 8) {
    throw new FeedError('config_invalid', 'ADMIN_TOKEN must be at least 8 characters');
  }
  if (eventsToken !== undefined && eventsToken.length < 8) {
    throw new FeedError('config_invalid', 'EVENTS_TOKEN must be at least 8 characters');
  }
  const experiments = new Experiments(experimentList);
  if (model.info === null) experiments.checkModels(model.plannedModels, 'the snapshots this server builds');
  else experiments.checkModels(model.info.models, 'the snapshot in force');
  const app: FastifyInstance = Fastify({
    loggerInstance: (logger ?? pino({ level: 'silent' })) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !logRequests }),
    frameworkErrors: frameworkErrorHandler,
    bodyLimit: 64 * 1024,
    // Ids of requests in logs; a client's X-Request-Id is not trusted.
    requestIdHeader: false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);

  const metrics = new ServerMetrics({ processMetrics });
  metrics.instrument(app);
  const liveEvents = new LiveEvents();
  metrics.liveEventCount = () => liveEvents.size;
  if (governor) metrics.batchPausedSeconds = () => governor.pausedSeconds;
  const users = new UserDirectory(store);
  const impressions = new ImpressionLog({
    store,
    metrics,
    // Another connection can reach the database: batches are written from a thread of their own.
    ...(database && !isInMemoryDatabase(database.url)
      ? {
          writer: threadImpressionWriter({
            database: database.url,
            ...(database.schema ? { schema: database.schema } : {}),
          }),
        }
      : {}),
    ...impressionSettings,
    ...(logger ? { logger } : {}),
  });
  let posts = new PostCache(store);
  // The rendered posts of a new snapshot are warmed before they replace the old ones, so a swap never
  // sends requests to the database; the first warm-up is part of readiness.
  let postsWarm = !warmPostCache;
  let warming: PostCache | null = null;
  // Events any process stores (this one, another replica, one before a restart) join the overlay.
  const eventFollower = new EventFollower({ store, live: liveEvents, ...(logger ? { logger } : {}) });
  const installSnapshot = (info: ModelInfo) => {
    try {
      experiments.checkModels(info.models, `snapshot ${info.snapshotId ?? 'built in memory'}`);
    } catch (error) {
      // Not expected (the build options fix the models); those arms' feeds answer 400 until fixed.
      logger?.error({ err: describeError(error) }, 'the new snapshot lacks a model an experiment needs');
    }
    users.reset();
    liveEvents.prune(info.feedEventWatermark);
    eventFollower.rebase(info.feedEventWatermark);
    metrics.modelSwapped(info);
    const next = new PostCache(store, { previous: posts });
    if (!warmPostCache) {
      posts.close();
      posts = next;
      return;
    }
    warming?.close();
    warming = next;
    next.warm().then(
      () => {
        if (warming !== next) return;
        warming = null;
        posts.close();
        posts = next;
        postsWarm = true;
      },
      (error: unknown) => {
        logger?.warn({ err: error }, 'post cache warm-up failed');
        if (warming === next) warming = null;
        postsWarm = true;
      },
    );
  };
  if (model.info !== null) installSnapshot(model.info);
  model.onSwap(installSnapshot);
  model.onFailure(() => metrics.modelFailed());

  const sync = new SyncRunner({
    store,
    ...(upstream ? { upstream } : {}),
    ...(governor ? { governor } : {}),
    ...(database ? { database } : {}),
    ...(cluster ? { cluster } : {}),
    ...(logger ? { logger } : {}),
    onFinished: async (report, run) => {
      metrics.syncFinished(report, run.status);
      users.reset();
      // Rebuild only when the data moved: a sync that changed nothing leaves the snapshot current (it
      // is re-stamped so a restart reuses it); live events wait in the overlay for the next build.
      const changed = report.sources.some((s) => s.changed > 0);
      if (changed || model.info === null) {
        model.rebuild().catch(() => {
          // The holder logged it and the old model stays in force.
        });
      } else if (report.ok) {
        // Awaited: with replicas, the sync claim is held until the snapshot is re-stamped, so no other
        // replica sees data newer than every stored snapshot meanwhile and builds one.
        await model
          .markCurrent()
          .catch((error: unknown) =>
            logger?.warn({ err: describeError(error) }, 'could not re-stamp the snapshot in force'),
          );
      }
    },
  });
  if (syncIntervalMinutes !== undefined) sync.setInterval(syncIntervalMinutes);
  app.addHook('onClose', async () => {
    await impressions.close();
    await eventFollower.close();
    posts.close();
    warming?.close();
    await sync.close();
  });

  const ctx: ServerContext = {
    store,
    model,
    metrics,
    liveEvents,
    eventFollower,
    users,
    sync,
    experiments,
    impressions,
    posts: () => posts,
    postsWarm: () => postsWarm,
    defaultModel,
    dataToken,
    startedAt: Date.now(),
  };

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'EmpowerVerse Feed',
        description:
          'Ranked feeds for the EmpowerVerse app, the platform data routes served from the local store, ' +
          'interaction events, and operations endpoints. Errors answer {"status": "error", "message"}.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN (admin routes)' },
          eventsToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'EVENTS_TOKEN (POST /events, when the service sets one)',
          },
          flicToken: {
            type: 'apiKey',
            in: 'header',
            name: 'Flic-Token',
            description: 'DATA_TOKEN (platform data routes, when the service sets one)',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  registerFeedRoute(app, ctx);
  registerDiscoveryRoutes(app, ctx);
  registerEventRoutes(app, ctx, eventsToken);
  registerDataRoutes(app, ctx);
  registerHealthRoutes(app, ctx);
  if (adminToken !== undefined) {
    registerAdminRoutes(app, ctx, adminToken);
    await registerDashboard(app, ctx, adminToken, database ? { database } : {});
  }
  await app.ready();
  return app;
}
