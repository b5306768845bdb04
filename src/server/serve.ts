// Starts the whole feed service: opens the store, starts the model build in a worker, serves HTTP, and
// stops it all in order. What `empowerverse serve`, the demo and the benchmark run.
import type { FastifyInstance } from 'fastify';
import type { BuildOptions, ModelName } from '../recommend/index.js';
import { describeError, FeedError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { isInMemoryDatabase, openStore, parseDatabaseUrl, SERVING_PAGE_CACHE_MIB } from '../store/open.js';
import type { Store } from '../store/types.js';
import type { UpstreamClientOptions } from '../upstream/index.js';
import { buildApp } from './app.js';
import { BatchGovernor, servingLoad } from './batch-governor.js';
import { ClusterCoordinator } from './cluster.js';
import type { Experiment } from './experiments.js';
import type { ImpressionSettings } from './impressions.js';
import { ModelHolder, type ModelSource } from './model-holder.js';

export interface ServeOptions {
  /** SQLite file or postgres:// URL. */
  database?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  defaultModel?: ModelName;
  adminToken?: string;
  upstream?: Omit<UpstreamClientOptions, 'signal'>;
  syncIntervalMinutes?: number;
  dataToken?: string;
  /** `POST /events` then needs `Authorization: Bearer <eventsToken>`. */
  eventsToken?: string;
  /** Model worker threads (each holds a snapshot copy and scores in parallel). */
  workers?: number;
  build?: BuildOptions;
  logger?: Logger;
  logRequests?: boolean;
  /** Resolve only once the first model is built (default: at once; /ready says when). */
  waitForModel?: boolean;
  /** PostgreSQL: how often a replica looks for new stored snapshots besides notifications (ms). */
  followMs?: number;
  /** Impression log: retention, attribution window, buffer. */
  impressions?: ImpressionSettings;
  /** A/B experiments (validated); arms may name only models the build options build. */
  experiments?: readonly Experiment[];
  /**
   * Share of each 100 ms that syncs and model builds run while the serving threads are busy, 0 < share ≤ 1
   * (1: never paused). Default 0.5: see batch-governor.ts for what it buys and costs.
   */
  batchShare?: number;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly model: ModelHolder;
  readonly store: Store;
  /** The first model build (rejects if it fails). */
  readonly firstModel: Promise<unknown>;
  /** Stops accepting, finishes in-flight requests, stops syncs and workers, closes the store. */
  close(): Promise<void>;
}

/**
 * Opens `database`, starts building the model in the background and listens.
 * @example const server = await startServer({ database: 'data.db', port: 8000 }); console.log(server.url);
 */
export async function startServer({
  database = 'data.db',
  host = '127.0.0.1',
  port = 8000,
  defaultModel,
  adminToken,
  upstream,
  syncIntervalMinutes,
  dataToken,
  eventsToken,
  workers = 1,
  build,
  logger,
  logRequests = false,
  waitForModel = false,
  followMs,
  impressions,
  experiments,
  batchShare = 0.5,
}: ServeOptions = {}): Promise<RunningServer> {
  // Checked before anything opens: a bad share is a configuration error, not a half-started server.
  const governor: BatchGovernor = new BatchGovernor({
    load: servingLoad(() => model.servingThreads()),
    shareWhenBusy: batchShare,
  });
  const store = await openStore(database, { cacheSizeMiB: SERVING_PAGE_CACHE_MIB });
  const target = parseDatabaseUrl(database);
  // On PostgreSQL any number of replicas may share the database: they build and sync one at a time.
  let cluster: ClusterCoordinator | undefined;
  try {
    cluster =
      target.dialect === 'postgres'
        ? await ClusterCoordinator.open(database, logger ? { logger } : {})
        : undefined;
  } catch (error) {
    await store.close();
    throw error;
  }
  // A worker opens a file or server database itself; an in-memory one only this thread can read.
  const source: ModelSource = isInMemoryDatabase(database)
    ? { kind: 'store', store }
    : { kind: 'database', url: database };
  const syncDatabase = source.kind === 'database' ? { url: database } : undefined;
  const model: ModelHolder = new ModelHolder({
    source,
    workers,
    governor,
    ...(build ? { build } : {}),
    ...(logger ? { logger } : {}),
    ...(cluster ? { cluster } : {}),
    ...(followMs !== undefined ? { followMs } : {}),
  });
  let app: FastifyInstance | undefined;
  try {
    const firstModel = model.start();
    firstModel.catch(() => {});
    if (waitForModel) await firstModel;
    app = await buildApp({
      store,
      model,
      ...(defaultModel ? { defaultModel } : {}),
      ...(adminToken ? { adminToken } : {}),
      ...(upstream ? { upstream } : {}),
      ...(syncDatabase ? { database: syncDatabase } : {}),
      governor,
      ...(syncIntervalMinutes !== undefined ? { syncIntervalMinutes } : {}),
      ...(cluster ? { cluster } : {}),
      ...(dataToken ? { dataToken } : {}),
      ...(eventsToken ? { eventsToken } : {}),
      ...(logger ? { logger } : {}),
      ...(impressions ? { impressions } : {}),
      ...(experiments ? { experiments } : {}),
      logRequests,
    });
    try {
      await app.listen({ host, port });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new FeedError(
        'config_invalid',
        code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use: stop the other server or pass --port`
          : `cannot listen on ${host}:${port}: ${describeError(error)}`,
        { cause: error },
      );
    }
    const address = app.server.address();
    const actualPort = typeof address === 'object' && address !== null ? address.port : port;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    const running = app;
    let closing: Promise<void> | undefined;
    return {
      url: `http://${shownHost}:${actualPort}`,
      port: actualPort,
      app: running,
      model,
      store,
      firstModel,
      close() {
        closing ??= (async () => {
          // First: a child paused now would take the stop request only at its next resume.
          governor.close();
          await running.close();
          await model.close();
          await cluster?.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    governor.close();
    await app?.close();
    await model.close();
    await cluster?.close();
    await store.close();
    throw error;
  }
}
