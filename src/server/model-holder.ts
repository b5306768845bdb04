// Model lifecycle in the serving process. A snapshot is built once — in a child process at the lowest
// CPU priority, which stores the artifact in the database — then read chunk by chunk (between requests)
// into one SharedArrayBuffer that every serving worker thread opens without copying. On start the newest stored
// snapshot built from the current data is reused; only when none matches is one built. A swap installs
// the new generation in every worker first, then flips one number: requests name the generation they
// are scored with, so none fails or mixes snapshots; the old one is dropped after, and every thread
// collects it at once so its memory is returned.
//
// Replicas on one PostgreSQL database (a `cluster` coordinator) follow the stored snapshots instead: each
// serves the newest stored snapshot of the current data, loading it when another replica stores it (a
// notification, or the poll that backs it up); only the replica holding the cluster's build claim builds,
// and a replica that sees data no stored snapshot covers, and no build or sync under way, takes the claim
// and builds (so a build whose replica died is taken over).
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import {
  ArtifactHasher,
  type BuildOptions,
  type DiscoveryRequest,
  type DiscoveryResult,
  decodeSnapshot,
  encodeSnapshot,
  type FeedRequest,
  type FeedResult,
  type ModelSnapshot,
  openSnapshot,
  precomputedFeed,
  resolveBuildOptions,
} from '../recommend/index.js';
import { collectedAfterGc } from '../shared/collect-garbage.js';
import { describeError, FeedError } from '../shared/errors.js';
import { BATCH_NICE, forkModule, siblingModuleUrl, startModuleThread } from '../shared/fork-module.js';
import type { Logger } from '../shared/logger.js';
import { openStore, SERVING_PAGE_CACHE_MIB } from '../store/open.js';
import {
  getSnapshotArtifactMeta,
  listSnapshotArtifacts,
  readSnapshotArtifact,
  type StoredSnapshotMeta,
  updateSnapshotArtifactHeader,
} from '../store/snapshots.js';
import type { Store } from '../store/types.js';
import type { BatchGovernor } from './batch-governor.js';
import type { ClusterCoordinator } from './cluster.js';
import type {
  BuildRequest,
  FromBuildChild,
  FromServingWorker,
  ModelInfo,
  SnapshotMeta,
  ToServingWorker,
} from './model-protocol.js';
import {
  buildInForce,
  currentDataKey,
  dataKeyOf,
  fitFromStore,
  sameBuildAs,
  syncWatermark,
} from './snapshot-build.js';

export type { ModelInfo } from './model-protocol.js';

/**
 * Where snapshots come from. `database`: built by a child process into the database and loaded from it
 * (stored snapshots are reused across restarts). `store`: the server's own store is read and the
 * snapshot built on this thread, not stored (for stores no other thread can open, such as `:memory:`).
 */
export type ModelSource =
  | { kind: 'database'; url: string; schema?: string }
  | { kind: 'store'; store: Store };

export interface ModelHolderOptions {
  source: ModelSource;
  /** Snapshot build options (models, weights, …). */
  build?: BuildOptions;
  /** Serving worker threads; all share one copy of the snapshot. */
  workers?: number;
  logger?: Logger;
  /** Stored snapshots kept in the database (older ones are pruned). */
  keepSnapshots?: number;
  /** Niceness of the build process (default `BATCH_NICE`: see there why not 19). */
  buildNice?: number;
  /** Pauses the build process for part of each period while serving is busy (see batch-governor.ts). */
  governor?: BatchGovernor;
  /**
   * Replicas on one PostgreSQL database (with a `database` source): follow the stored snapshots, and build
   * only under the cluster's build claim (see the file comment).
   */
  cluster?: ClusterCoordinator;
  /** With `cluster`: how often the stored snapshots and the data are looked at besides notifications. Default 3000. */
  followMs?: number;
}

const DEFAULT_FOLLOW_MS = 3000;
/** A build of some data that failed is not tried again on a replica's own initiative for this long. */
const BUILD_RETRY_MS = 60_000;

/** The data key a stored snapshot's header records. */
const dataKeyIn = (stored: StoredSnapshotMeta): unknown => (stored.header as Partial<SnapshotMeta>).dataKey;

/** Starts a worker thread on the module `baseName` next to this one. */
const spawnThread = (baseName: string, workerData?: unknown) =>
  startModuleThread(siblingModuleUrl(import.meta.url, baseName), workerData);

/** What choosing a worker for a request looks at. */
export interface WorkerChoice {
  readonly alive: boolean;
  readonly installed: ReadonlySet<number>;
  /** Busy opening and warming a new snapshot: it answers nothing else until that ends. */
  readonly installing: boolean;
  /** Requests sent and not yet answered. */
  readonly load: number;
}

/**
 * The worker to send a request for `generation`: among the live ones that have it, the least loaded that
 * is not installing a newer snapshot (one that is, only when every other is too).
 */
export function pickWorker<W extends WorkerChoice>(workers: readonly W[], generation: number): W | undefined {
  let best: W | undefined;
  for (const w of workers) {
    if (!w.alive || !w.installed.has(generation)) continue;
    if (
      best === undefined ||
      (best.installing && !w.installing) ||
      (best.installing === w.installing && w.load < best.load)
    )
      best = w;
  }
  return best;
}

/** A request's settlers; the answer's type is the request's (a feed or a discovery page). */
type Pending = { resolve: (r: never) => void; reject: (e: Error) => void };

/** What a thread reports of a dropped generation: whether it let go of the memory, and its collection's ms. */
interface DropOutcome {
  released: boolean;
  gcMs: number;
}

/** A replaced snapshot once every thread has dropped it and collected: is its memory gone? */
export interface SnapshotRelease {
  generation: number;
  /** No thread references its SharedArrayBuffer any more: the memory went back to the OS. */
  released: boolean;
  /** Milliseconds of each collection: this thread's (`http`), then each worker's. */
  gcMs: { http: number; workers: number[] };
}

/** One serving thread: the generations it has open and its outstanding requests. */
class ServingWorker {
  readonly worker: Worker;
  readonly installed = new Set<number>();
  /** What the thread said of the last snapshot it opened: shared memory (no copy), and its size. */
  lastInstall: { shared: boolean; byteLength: number } | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly installs = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly drops = new Map<number, (outcome: DropOutcome) => void>();
  private nextId = 1;
  private exited = false;
  stopping = false;
  onUnexpectedExit: ((code: number) => void) | null = null;

  constructor(logger: Logger | undefined) {
    this.worker = spawnThread('model-worker');
    this.worker.on('message', (message: FromServingWorker) => {
      switch (message.type) {
        case 'installed':
          this.installed.add(message.generation);
          this.lastInstall = { shared: message.shared, byteLength: message.byteLength };
          this.installs.get(message.generation)?.resolve();
          this.installs.delete(message.generation);
          return;
        case 'dropped':
          this.drops.get(message.generation)?.({ released: message.released, gcMs: message.gcMs });
          this.drops.delete(message.generation);
          return;
        case 'install-failed':
          this.installs.get(message.generation)?.reject(new FeedError('model_unavailable', message.message));
          this.installs.delete(message.generation);
          return;
        case 'feed':
        case 'discover': {
          const entry = this.pending.get(message.id);
          if (!entry) return;
          this.pending.delete(message.id);
          if (message.ok) entry.resolve(message.result as never);
          else entry.reject(new FeedError(message.code, message.message));
        }
      }
    });
    this.worker.on('error', (error) => logger?.error({ err: error }, 'model worker failed'));
    this.worker.on('exit', (code) => {
      this.exited = true;
      const stopped = new FeedError('model_unavailable', 'the model worker stopped; try again');
      for (const entry of this.pending.values()) entry.reject(stopped);
      for (const entry of this.installs.values()) entry.reject(stopped);
      // A thread that ended holds nothing.
      for (const done of this.drops.values()) done({ released: true, gcMs: 0 });
      this.pending.clear();
      this.installs.clear();
      this.drops.clear();
      if (!this.stopping) this.onUnexpectedExit?.(code);
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  get load(): number {
    return this.pending.size;
  }

  /** Opening and warming a snapshot: the thread answers nothing else until it ends. */
  get installing(): boolean {
    return this.installs.size > 0;
  }

  private send(message: ToServingWorker): void {
    this.worker.postMessage(message);
  }

  install(generation: number, bytes: Uint8Array): Promise<void> {
    if (this.exited) return Promise.reject(new FeedError('model_unavailable', 'the model worker stopped'));
    return new Promise((resolve, reject) => {
      this.installs.set(generation, { resolve, reject });
      // A SharedArrayBuffer crosses to the thread as shared memory: no copy.
      this.send({ type: 'install', generation, bytes });
    });
  }

  /**
   * Drops a generation; requests already queued for it are answered first (messages keep their order).
   * Resolves once the thread has collected its heap, saying whether it still references the memory.
   */
  drop(generation: number): Promise<DropOutcome> {
    this.installed.delete(generation);
    if (this.exited) return Promise.resolve({ released: true, gcMs: 0 });
    return new Promise((resolve) => {
      this.drops.set(generation, resolve);
      this.send({ type: 'drop', generation });
    });
  }

  feed(generation: number, request: FeedRequest): Promise<FeedResult> {
    return this.ask<FeedResult>((id) => ({ type: 'feed', id, generation, request }));
  }

  discover(generation: number, request: DiscoveryRequest): Promise<DiscoveryResult> {
    return this.ask<DiscoveryResult>((id) => ({ type: 'discover', id, generation, request }));
  }

  /** Sends the request `message(id)`; the answer with that id settles the promise. */
  private ask<T>(message: (id: number) => ToServingWorker): Promise<T> {
    if (this.exited) return Promise.reject(new FeedError('model_unavailable', 'the model worker stopped'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: never) => void, reject });
      this.send(message(id));
    });
  }

  async terminate(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
  }
}

/** The snapshot in force: its shared bytes (to install into a replacement worker) and what it holds. */
interface Active {
  readonly generation: number;
  readonly bytes: Uint8Array;
  readonly info: ModelInfo;
  /**
   * The same snapshot opened on this (the HTTP) thread, views of the same shared bytes: feeds its
   * precomputed lists answer are composed here (~50 µs), since a round trip to a scoring thread costs
   * more than that (two postMessage wake-ups, ~40 µs of this thread's CPU in a profile at 4,500 req/s).
   */
  readonly inline: ModelSnapshot;
}

/** A snapshot ready to install: verified bytes plus its metadata. */
interface Loaded {
  bytes: Uint8Array;
  meta: SnapshotMeta;
  checksum: string;
  snapshotId: number | null;
  origin: ModelInfo['origin'];
  loadSeconds: number;
}

/**
 * Holds the model in force and replaces it in the background.
 * @example
 * const holder = new ModelHolder({ source: { kind: 'database', url: 'data.db' }, workers: 2 });
 * await holder.start();                 // reuses a stored snapshot of this data, or builds one
 * const feed = await holder.feed({ userId: 42, pageSize: 20 });
 */
export class ModelHolder {
  private active: Active | null = null;
  // One job at a time (see `exclusive`): start/rebuild jobs alone, or the cluster's follow rounds alone.
  private building: Promise<unknown> | null = null;
  private queued: Promise<unknown> | null = null;
  private generations = 0;
  private closed = false;
  private workers: ServingWorker[] = [];
  private readonly children = new Set<{ kill(signal?: NodeJS.Signals): boolean }>();
  private readonly swapListeners: ((info: ModelInfo) => void)[] = [];
  private readonly releaseListeners: ((release: SnapshotRelease) => void)[] = [];
  private readonly failureListeners: ((error: Error) => void)[] = [];
  private readonly configuredWorkers: number;
  private metaStore: Promise<Store> | null = null;
  /** The last build's or load's error, cleared by a successful swap. */
  lastError: string | null = null;
  /** What the current or last build is doing (`lock`, `load`, `base`, a model name, `encode`, `store`). */
  buildStep: string | null = null;
  // Following the cluster's snapshots (with `cluster` only).
  private followTimer: NodeJS.Timeout | null = null;
  private unfollow: (() => void) | null = null;
  /** Resolved by the first snapshot installed; rejected when this replica's first build fails. */
  private firstWaiters: { resolve: (info: ModelInfo) => void; reject: (error: Error) => void }[] = [];
  /** Stored snapshots this replica refused (damaged, gone): never tried again. */
  private readonly refused = new Set<number>();
  /** A sync on this replica changed the data: build without waiting for the data to stand still. */
  private buildWanted = false;
  /** The current data key and since when this replica has seen it. */
  private seenKey: { key: string; since: number } | null = null;
  private failedKey: { key: string; at: number } | null = null;
  /** A follow round is loading or building (what /ready calls building; a look at the store is not). */
  private changing = false;
  private waitingLogged = false;
  private lastFollowError: string | null = null;

  constructor(private readonly options: ModelHolderOptions) {
    const { workers = 1 } = options;
    if (!Number.isSafeInteger(workers) || workers < 1 || workers > 64) {
      throw new FeedError('config_invalid', `workers must be an integer 1..64, got ${workers}`);
    }
    this.configuredWorkers = workers;
  }

  /** The snapshot in force, or null before the first one is served. */
  get info(): ModelInfo | null {
    return this.active?.info ?? null;
  }

  get isBuilding(): boolean {
    return this.options.cluster ? this.changing : this.building !== null;
  }

  /** Workers serving the snapshot in force, of the number configured: ready means all of them. */
  get workerCount(): { serving: number; configured: number } {
    const generation = this.active?.generation;
    const serving =
      generation === undefined
        ? 0
        : this.workers.filter((w) => w.alive && w.installed.has(generation)).length;
    return { serving, configured: this.configuredWorkers };
  }

  /** The models every snapshot of this holder's build options holds (known before the first is built). */
  get plannedModels(): readonly string[] {
    return resolveBuildOptions(this.options.build).models;
  }

  /** What each serving worker reports of the snapshot it opened (shared memory or a copy, bytes). */
  get workerMemory(): { shared: boolean; byteLength: number }[] {
    return this.workers.flatMap((w) => (w.alive && w.lastInstall ? [w.lastInstall] : []));
  }

  /** Called (synchronously, at the swap) with each newly installed snapshot's info. */
  onSwap(listener: (info: ModelInfo) => void): void {
    this.swapListeners.push(listener);
  }

  /** Called once each replaced snapshot has been dropped by every thread (see `release`). */
  onRelease(listener: (release: SnapshotRelease) => void): void {
    this.releaseListeners.push(listener);
  }

  /** Called with the error of each failed build or load (the old snapshot stays in force). */
  onFailure(listener: (error: Error) => void): void {
    this.failureListeners.push(listener);
  }

  /**
   * Serves the newest stored snapshot built from the current data and options, or builds one when none
   * matches (or a matching one is refused as corrupt). Logs which and why.
   */
  start(): Promise<ModelInfo> {
    const { cluster } = this.options;
    if (cluster !== undefined && this.options.source.kind === 'database') return this.startFollowing();
    return this.exclusive(async () => {
      const { source, logger } = this.options;
      if (source.kind === 'database') {
        const store = await this.store();
        const key = await currentDataKey(store, this.options.build);
        const stored = await listSnapshotArtifacts(store, { limit: 20 });
        const match = stored.find((s) => (s.header as Partial<SnapshotMeta>).dataKey === key);
        if (match) {
          try {
            const loaded = await this.load(match.id, 'stored');
            logger?.info(
              { snapshot: match.id, builtAt: loaded.meta.builtAt },
              'reusing the stored snapshot of this data',
            );
            return await this.install(loaded);
          } catch (error) {
            logger?.warn(
              { snapshot: match.id, err: describeError(error) },
              'stored snapshot refused; building a new one',
            );
          }
        } else {
          logger?.info(
            { stored: stored.length },
            stored.length === 0
              ? 'no stored snapshot; building one'
              : 'no stored snapshot matches the current data and options; building one',
          );
        }
      }
      return this.install(await this.buildNew());
    });
  }

  /**
   * Builds a new snapshot from the current data and swaps it in when complete. A call while a build
   * runs queues one more (calls meanwhile share it), so a sync that lands mid-build is never missed.
   */
  rebuild(): Promise<ModelInfo> {
    if (this.options.cluster !== undefined && this.options.source.kind === 'database') {
      // The data moved under this replica's sync: the next round builds, unless a snapshot of the
      // current data is stored already or another replica holds the build claim (then it is awaited).
      this.buildWanted = true;
      return this.follow().then((info) => {
        if (info !== null) return info;
        throw new FeedError('model_unavailable', 'no snapshot yet: another replica is building one');
      });
    }
    return this.exclusive(async () => this.install(await this.buildNew()));
  }

  /**
   * Records that the snapshot in force still covers the stored data (a sync that changed nothing), so
   * a restart reuses it instead of rebuilding. Does nothing while a build runs or after a failed one
   * (the snapshot may then be behind the data).
   */
  async markCurrent(): Promise<void> {
    const active = this.active;
    if (
      active === null ||
      active.info.snapshotId === null ||
      (this.options.cluster ? this.changing : this.building !== null) ||
      this.lastError !== null
    )
      return;
    const store = await this.store();
    const meta = await getSnapshotArtifactMeta(store, active.info.snapshotId);
    if (meta === null) return;
    // One read of the sync state serves both the key and the recorded watermark.
    const syncWatermarkNow = await syncWatermark(store);
    const dataKey = dataKeyOf(syncWatermarkNow, await buildInForce(store, this.options.build));
    await updateSnapshotArtifactHeader(store, meta.id, {
      ...meta.header,
      dataKey,
      syncWatermark: syncWatermarkNow,
    });
  }

  /**
   * A feed from the snapshot in force. Throws `FeedError('model_unavailable')` before the first snapshot
   * and `bad_request` for a request the engine refuses (unknown category, model not built, …).
   */
  feed(request: FeedRequest): Promise<FeedResult> {
    const active = this.active;
    if (active !== null) {
      try {
        const quick = precomputedFeed(active.inline, request);
        if (quick !== null) return Promise.resolve(quick);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.onLeastLoaded((worker, generation) => worker.feed(generation, request));
  }

  /**
   * A page of a discovery list (similar, trending, latest) from the snapshot in force. Throws as `feed`
   * does, and `not_found` for a similar-posts request naming a post the snapshot does not hold.
   */
  discover(request: DiscoveryRequest): Promise<DiscoveryResult> {
    return this.onLeastLoaded((worker, generation) => worker.discover(generation, request));
  }

  /** The live serving worker threads (whose load the batch governor reads). */
  servingThreads(): Worker[] {
    return this.workers.filter((w) => w.alive).map((w) => w.worker);
  }

  /** Runs `ask` on the least loaded worker serving the snapshot in force. */
  private onLeastLoaded<T>(ask: (worker: ServingWorker, generation: number) => Promise<T>): Promise<T> {
    const active = this.active;
    if (active === null) {
      return Promise.reject(
        new FeedError('model_unavailable', 'the model is still being built; try again shortly (see /ready)'),
      );
    }
    const best = pickWorker(this.workers, active.generation);
    if (best === undefined) {
      return Promise.reject(
        new FeedError('model_unavailable', 'no model worker is running; try again shortly'),
      );
    }
    return ask(best, active.generation);
  }

  /** Stops builds, the loader and every worker; pending requests fail with `model_unavailable`. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.followTimer !== null) clearInterval(this.followTimer);
    this.followTimer = null;
    this.unfollow?.();
    this.unfollow = null;
    const closed = new FeedError('model_unavailable', 'the model holder is closed');
    for (const waiter of this.firstWaiters.splice(0)) waiter.reject(closed);
    for (const child of this.children) child.kill('SIGKILL');
    this.active = null;
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    const store = this.metaStore;
    this.metaStore = null;
    if (store) await (await store.catch(() => null))?.close();
  }

  /**
   * Runs `job` after the one in progress; calls made while one waits share that one. A holder runs jobs
   * of one kind only (start/rebuild, or follow rounds), so a shared queued job answers each caller's type.
   */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new FeedError('model_unavailable', 'the model holder is closed'));
    if (this.building === null) {
      const running = job()
        .catch((error: unknown) => {
          const failure = error instanceof Error ? error : new Error(describeError(error));
          this.lastError = failure.message;
          this.options.logger?.error(
            { err: failure.message },
            'model build failed; the previous model stays',
          );
          for (const listener of this.failureListeners) listener(failure);
          throw failure;
        })
        .finally(() => {
          this.building = null;
        });
      this.building = running;
      return running;
    }
    this.queued ??= this.building
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.exclusive(job);
      });
    return this.queued as Promise<T>;
  }

  /** Starts following the cluster's snapshots; resolves with the first one installed. */
  private startFollowing(): Promise<ModelInfo> {
    const { cluster, followMs = DEFAULT_FOLLOW_MS } = this.options;
    if (this.closed) return Promise.reject(new FeedError('model_unavailable', 'the model holder is closed'));
    this.unfollow ??= cluster!.subscribe('snapshot', () => this.followQuietly());
    if (this.followTimer === null) {
      this.followTimer = setInterval(() => this.followQuietly(), followMs);
      this.followTimer.unref();
    }
    const first =
      this.active !== null
        ? Promise.resolve(this.active.info)
        : new Promise<ModelInfo>((resolve, reject) => this.firstWaiters.push({ resolve, reject }));
    this.followQuietly();
    return first;
  }

  /** One follow round after the one in progress (rounds asked for meanwhile share one). */
  private follow(): Promise<ModelInfo | null> {
    return this.exclusive(() => this.followRound());
  }

  /** A round whose failure is logged (and counted) by `exclusive`, for timers and notifications. */
  private followQuietly(): void {
    if (!this.closed) this.follow().catch(() => {});
  }

  /**
   * One look at the cluster: serve the newest stored snapshot of the current data (or, until there is
   * one, the newest stored at all), and build one when this replica should and may (see `mayBuild`).
   * Only a build (or install) failure rejects; a failed look at the store is logged and waits for the next.
   */
  private async followRound(): Promise<ModelInfo | null> {
    const { logger } = this.options;
    const source = this.options.source as Extract<ModelSource, { kind: 'database' }>;
    let key: string;
    let stored: StoredSnapshotMeta[];
    try {
      ({ key, stored } = await this.lookAtStore());
    } catch (error) {
      const message = describeError(error);
      if (message !== this.lastFollowError)
        logger?.warn({ err: message }, 'cannot look at the stored snapshots');
      this.lastFollowError = message;
      return this.info;
    }
    this.lastFollowError = null;
    const now = Date.now();
    if (this.seenKey?.key !== key) this.seenKey = { key, since: now };
    const match = stored.find((s) => dataKeyIn(s) === key);
    const servingId = () => this.active?.info.snapshotId ?? null;
    if (match !== undefined) {
      if (match.id === servingId()) {
        this.buildWanted = false;
        return this.info;
      }
      const first = servingId() === null;
      if (
        await this.installStored(
          match,
          first ? 'reusing the stored snapshot of this data' : 'loading the snapshot stored for this data',
        )
      ) {
        this.buildWanted = false;
        return this.info;
      }
    }
    // Nothing stored covers the current data: meanwhile the newest stored one serves, if newer than ours.
    const newest = stored.find((s) => s.id !== match?.id);
    const serving = servingId();
    if (newest !== undefined && (serving === null || newest.id > serving)) {
      await this.installStored(
        newest,
        'serving the newest stored snapshot until one of the current data is stored',
      );
    }
    if (!(await this.mayBuild(key, now))) return this.info;
    const claim = await this.options.cluster!.tryClaim('build').catch((error: unknown) => {
      logger?.warn({ err: describeError(error) }, 'cannot claim the cluster build');
      return null;
    });
    if (claim === null) {
      if (!this.waitingLogged) logger?.info('another replica is building a snapshot; waiting for it');
      this.waitingLogged = true;
      return this.info;
    }
    this.waitingLogged = false;
    try {
      // Stored between the look and the claim (its builder released the claim just before)?
      const again = await this.lookAtStore();
      const fresh = again.stored.find((s) => dataKeyIn(s) === again.key);
      if (
        fresh !== undefined &&
        (fresh.id === servingId() ||
          (await this.installStored(fresh, 'loading the snapshot stored for this data')))
      ) {
        this.buildWanted = false;
        return this.info;
      }
      logger?.info(
        { stored: stored.length },
        stored.length === 0
          ? 'no stored snapshot; building one'
          : 'no stored snapshot matches the current data and options; building one',
      );
      this.changing = true;
      this.options.logger?.info({ source: source.kind }, 'model build started');
      const built = await this.buildInChild(source, { clusterLock: true });
      const info = await this.install(await this.load(built.id, 'built'));
      this.buildWanted = false;
      this.failedKey = null;
      return info;
    } catch (error) {
      this.failedKey = { key, at: Date.now() };
      const failure = error instanceof Error ? error : new Error(describeError(error));
      if (this.active === null) for (const waiter of this.firstWaiters.splice(0)) waiter.reject(failure);
      throw failure;
    } finally {
      this.changing = false;
      await claim.release();
    }
  }

  /** The current data key and the stored snapshots of this holder's build options, newest first. */
  private async lookAtStore(): Promise<{ key: string; stored: StoredSnapshotMeta[] }> {
    const store = await this.store();
    const key = await currentDataKey(store, this.options.build);
    const inForce = await buildInForce(store, this.options.build);
    const stored = (await listSnapshotArtifacts(store, { limit: 20 })).filter(
      (s) => !this.refused.has(s.id) && sameBuildAs(dataKeyIn(s), inForce),
    );
    return { key, stored };
  }

  /**
   * Whether this replica should build a snapshot of the data under `key` now: with none to serve, or
   * after its own sync changed the data, at once; otherwise once the data has stood still for a follow
   * period and no sync runs anywhere (a sync's replica builds when it ends; a replica that died before
   * is taken over this way). A key whose build failed waits `BUILD_RETRY_MS`.
   */
  private async mayBuild(key: string, now: number): Promise<boolean> {
    if (this.failedKey?.key === key && now - this.failedKey.at < BUILD_RETRY_MS) return false;
    if (this.active === null || this.buildWanted) return true;
    const { followMs = DEFAULT_FOLLOW_MS, cluster } = this.options;
    if (this.seenKey === null || now - this.seenKey.since < followMs) return false;
    return !(await cluster!.isClaimed('sync').catch(() => true));
  }

  /** Loads and installs a stored snapshot; false (logged, never tried again) when it is refused. */
  private async installStored(stored: StoredSnapshotMeta, why: string): Promise<boolean> {
    this.changing = true;
    try {
      const loaded = await this.load(stored.id, 'stored');
      this.options.logger?.info({ snapshot: stored.id, builtAt: loaded.meta.builtAt }, why);
      await this.install(loaded);
      return true;
    } catch (error) {
      if (this.closed) throw error;
      this.refused.add(stored.id);
      this.options.logger?.warn(
        { snapshot: stored.id, err: describeError(error) },
        'stored snapshot refused; it is not tried again',
      );
      return false;
    } finally {
      this.changing = false;
    }
  }

  /** The store this holder reads metadata from (its own connection for a database source). */
  private store(): Promise<Store> {
    const { source } = this.options;
    if (source.kind === 'store') return Promise.resolve(source.store);
    this.metaStore ??= openStore(source.url, {
      migrate: false,
      cacheSizeMiB: SERVING_PAGE_CACHE_MIB,
      ...(source.schema ? { schema: source.schema } : {}),
    });
    return this.metaStore;
  }

  private async buildNew(): Promise<Loaded> {
    const { source } = this.options;
    this.options.logger?.info({ source: source.kind }, 'model build started');
    if (source.kind === 'store') return this.buildInProcess(source.store);
    const built = await this.buildInChild(source);
    return this.load(built.id, 'built');
  }

  /** Builds in the low-priority child process, which stores the artifact; resolves with its id. */
  private buildInChild(
    source: { url: string; schema?: string },
    { clusterLock = false }: { clusterLock?: boolean } = {},
  ): Promise<{ id: number; byteSize: number }> {
    const { build = {}, keepSnapshots = 3, buildNice = BATCH_NICE } = this.options;
    return new Promise((resolve, reject) => {
      const child = forkModule(siblingModuleUrl(import.meta.url, 'build-child'), { nice: buildNice });
      this.children.add(child);
      this.options.governor?.govern(child);
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.buildStep = null;
        fn();
      };
      child.on('message', (message: FromBuildChild) => {
        if (message.type === 'step') this.buildStep = message.step;
        else if (message.type === 'built')
          settle(() => resolve({ id: message.id, byteSize: message.byteSize }));
        else
          settle(() => reject(new FeedError('model_unavailable', `model build failed: ${message.message}`)));
      });
      child.on('error', (error) =>
        settle(() =>
          reject(new FeedError('model_unavailable', `model build failed: ${describeError(error)}`)),
        ),
      );
      child.on('exit', (code, signal) => {
        this.children.delete(child);
        settle(() =>
          reject(
            new FeedError(
              'model_unavailable',
              this.closed
                ? 'the model holder was closed during a build'
                : `model build failed: the build process exited unexpectedly (${signal ?? `code ${code}`})`,
            ),
          ),
        );
      });
      const request: BuildRequest = {
        type: 'build',
        database: source.url,
        ...(source.schema ? { schema: source.schema } : {}),
        build,
        keep: keepSnapshots,
        ...(clusterLock ? { clusterLock } : {}),
      };
      child.send(request);
    });
  }

  /** Builds on this thread from a store only this thread can read; the artifact is not stored. */
  private async buildInProcess(store: Store): Promise<Loaded> {
    const { fitted, meta } = await fitFromStore(store, this.options.build);
    const { bytes, checksum } = encodeSnapshot(fitted, meta, { shared: true });
    return { bytes, meta, checksum, snapshotId: null, origin: 'built', loadSeconds: meta.loadSeconds };
  }

  /**
   * Reads and verifies a stored artifact into one SharedArrayBuffer on this thread's own store
   * connection: a chunk per macrotask, hashed as it lands (~3 ms per 4-MiB chunk), so requests keep
   * flowing between chunks. A loader thread did this before; its isolate and modules cost ~45 MB at the
   * swap, the moment serve holds two snapshots (bench:feed:users' peak RSS).
   */
  private async load(snapshotId: number, origin: ModelInfo['origin']): Promise<Loaded> {
    if (this.options.source.kind !== 'database')
      throw new FeedError('internal', 'stored snapshots need a database source');
    const started = performance.now();
    const store = await this.store();
    const reading: { hasher?: ArtifactHasher } = {};
    try {
      const bytes = await readSnapshotArtifact(
        store,
        snapshotId,
        (n) => {
          const out = new Uint8Array(new SharedArrayBuffer(n));
          reading.hasher = new ArtifactHasher(out);
          return out;
        },
        {
          batchBytes: 1,
          afterBatch: async (written) => {
            reading.hasher?.advance(written);
            await nextMacrotask();
          },
        },
      );
      const decoded = decodeSnapshot<SnapshotMeta>(bytes, { bodyDigest: reading.hasher!.digest() });
      return {
        bytes,
        meta: decoded.meta,
        checksum: decoded.checksum,
        snapshotId,
        origin,
        loadSeconds: (performance.now() - started) / 1000,
      };
    } catch (error) {
      throw new FeedError('model_unavailable', describeError(error));
    }
  }

  /** A new serving worker that reinstalls the snapshot in force if it is ever replaced. */
  private spawnWorker(): ServingWorker {
    const worker = new ServingWorker(this.options.logger);
    worker.onUnexpectedExit = (code) => this.replaceWorker(worker, code);
    return worker;
  }

  /** A serving worker died: the others keep serving; a fresh one opens the shared snapshot again. */
  private replaceWorker(dead: ServingWorker, code: number): void {
    if (this.closed) return;
    this.options.logger?.error({ code }, 'a model worker stopped unexpectedly; starting a new one');
    const fresh = this.spawnWorker();
    this.workers = this.workers.map((w) => (w === dead ? fresh : w));
    const active = this.active;
    if (active) {
      fresh.install(active.generation, active.bytes).catch((error: unknown) => {
        this.options.logger?.error(
          { err: describeError(error) },
          'a replacement model worker failed to load',
        );
      });
    }
  }

  /** Installs `loaded` in every worker, then swaps it in and drops the previous generation. */
  private async install(loaded: Loaded): Promise<ModelInfo> {
    if (this.closed) throw new FeedError('model_unavailable', 'the model holder was closed during a build');
    const started = performance.now();
    // Views of the shared bytes, opened before the workers so a snapshot this thread cannot open is
    // refused before any worker installs it. The loader verified stored bytes; an in-process build's
    // bytes were never decoded, so they are verified here, in the same decode.
    const verify = loaded.origin === 'built' && loaded.snapshotId === null;
    const inline = openSnapshot(decodeSnapshot(loaded.bytes, { verify }).data);
    while (this.workers.length < this.configuredWorkers) this.workers.push(this.spawnWorker());
    const generation = ++this.generations;
    if (this.active === null) {
      await Promise.all(this.workers.map((w) => w.install(generation, loaded.bytes)));
    } else {
      // A swap: one worker at a time opens and warms the new snapshot (hundreds of ms in which it answers
      // nothing) while the others serve the one in force; all at once, every request waited for the
      // warm-ups (p99 ~100 ms in the swap's seconds at 100k users).
      for (const w of this.workers) await w.install(generation, loaded.bytes);
    }
    if (this.closed) throw new FeedError('model_unavailable', 'the model holder was closed during a build');
    const { meta } = loaded;
    const info: ModelInfo = {
      generation,
      snapshotId: loaded.snapshotId,
      builtAt: meta.builtAt,
      servingSince: new Date().toISOString(),
      origin: loaded.origin,
      loadSeconds: loaded.loadSeconds,
      buildSeconds: meta.buildSeconds,
      installSeconds: (performance.now() - started) / 1000 + loaded.loadSeconds,
      byteSize: loaded.bytes.length,
      checksum: loaded.checksum,
      users: meta.users,
      posts: meta.posts,
      interactions: meta.interactions,
      pairs: meta.pairs,
      feedEventWatermark: meta.feedEventWatermark,
      syncWatermark: meta.syncWatermark,
      models: meta.models,
      notes: meta.notes,
      // Snapshots stored before tunings existed carry no `tuned`: they were built with the defaults.
      tuned: meta.tuned ?? null,
    };
    const previous = this.active;
    // The swap: one assignment; the next request names the new generation.
    this.active = { generation, bytes: loaded.bytes, info, inline };
    this.lastError = null;
    for (const listener of this.swapListeners) listener(info);
    for (const waiter of this.firstWaiters.splice(0)) waiter.resolve(info);
    this.options.logger?.info(
      {
        generation,
        snapshot: info.snapshotId,
        origin: info.origin,
        bytes: info.byteSize,
        buildSeconds: info.buildSeconds,
        loadSeconds: info.loadSeconds,
        posts: info.posts,
      },
      'model swapped in',
    );
    if (previous) void this.release(previous.generation, new WeakRef(previous.bytes.buffer));
    return info;
  }

  /**
   * Drops a replaced generation from every worker, one at a time (each collects its heap: a few ms in
   * which the others serve), then collects this thread's heap, so that its shared memory is returned
   * now: left to V8 it stayed mapped beside the new snapshot for as long as anyone looked. Logs a
   * warning if something still holds it (a leak: each swap would then keep one more copy).
   */
  private async release(generation: number, memory: WeakRef<ArrayBufferLike>): Promise<void> {
    const workers: DropOutcome[] = [];
    for (const w of [...this.workers]) workers.push(await w.drop(generation));
    const http = this.closed ? { collected: true, gcMs: 0 } : await collectedAfterGc(memory);
    const release: SnapshotRelease = {
      generation,
      released: http.collected && workers.every((w) => w.released),
      gcMs: { http: http.gcMs, workers: workers.map((w) => w.gcMs) },
    };
    const round = (ms: number) => Math.round(ms * 10) / 10;
    const fields = {
      generation,
      gcMs: { http: round(release.gcMs.http), workers: release.gcMs.workers.map(round) },
    };
    if (release.released) this.options.logger?.info(fields, 'previous snapshot released');
    else
      this.options.logger?.warn(
        {
          ...fields,
          heldBy: [
            ...(http.collected ? [] : ['http']),
            ...workers.flatMap((w, i) => (w.released ? [] : [`worker ${i}`])),
          ],
        },
        'previous snapshot still referenced after a full collection: its memory stays resident',
      );
    for (const listener of this.releaseListeners) listener(release);
  }
}
