// Model lifecycle: builds a snapshot in worker threads at start and again on demand (after each sync),
// swaps it in atomically once built, and routes feed requests to the workers of the snapshot in force.
//
// Why workers serve, not only build: a ModelSnapshot does not survive structured clone (its models are
// closures over typed arrays, and their fitted state is not reachable from outside the recommend module),
// so a snapshot cannot be built in one thread and moved to another. Each worker therefore builds and keeps
// its own snapshot and answers feed requests over messages. The event loop never builds or scores, and a
// generation of workers only takes requests once its snapshot is complete: requests keep going to the old
// generation during a rebuild, which is retired (after its in-flight requests) at the swap.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, type TransferListItem, Worker } from 'node:worker_threads';
import type { BuildOptions, FeedRequest, FeedResult, TrainingData } from '../recommend/index.js';
import { describeError, FeedError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { maxFeedEventId } from '../store/feed-events.js';
import { loadTrainingDataFromStore } from '../store/training-data.js';
import type { Store } from '../store/types.js';
import type {
  FromWorker,
  ModelInfo,
  ModelWorkerInit,
  ToWorker,
  TrainingDataMessage,
} from './model-protocol.js';

export type { ModelInfo } from './model-protocol.js';

/**
 * Where builds read their training data. `database`: each build's first worker opens the store itself (no
 * work on the event loop). `store`: the server's own store is read on the main thread and the data handed
 * over (for stores a worker cannot open, such as SQLite `:memory:`).
 */
export type ModelSource =
  | { kind: 'database'; url: string; schema?: string }
  | { kind: 'store'; store: Store };

export interface ModelHolderOptions {
  source: ModelSource;
  /** Snapshot build options (models, weights, …). */
  build?: BuildOptions;
  /** Worker threads per snapshot: each holds a copy and scores requests in parallel. */
  workers?: number;
  logger?: Logger;
  /** How long a replaced generation may take to finish its in-flight requests before it is stopped. */
  retireTimeoutMs?: number;
}

/** One worker thread with one snapshot (once ready), and its outstanding requests. */
class ModelWorker {
  readonly ready: Promise<ModelInfo>;
  private readonly pending = new Map<
    number,
    { resolve: (r: FeedResult) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private exited = false;
  private stopping = false;
  private idle: (() => void) | null = null;
  /** Called when the thread ends without having been asked to (a crash, running out of memory). */
  onUnexpectedExit: ((code: number) => void) | null = null;

  constructor(
    readonly worker: Worker,
    private readonly logger: Logger | undefined,
  ) {
    let settle: { resolve: (info: ModelInfo) => void; reject: (e: Error) => void };
    this.ready = new Promise<ModelInfo>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // A failed build is reported through `ready`; nobody may be listening yet.
    this.ready.catch(() => {});
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'ready':
          settle.resolve(message.info);
          return;
        case 'failed':
          settle.reject(new FeedError('model_unavailable', `model build failed: ${message.message}`));
          void this.terminate();
          return;
        case 'feed': {
          const entry = this.pending.get(message.id);
          if (!entry) return;
          this.pending.delete(message.id);
          if (message.ok) entry.resolve(message.result);
          else entry.reject(new FeedError(message.code, message.message));
          if (this.pending.size === 0) this.idle?.();
          return;
        }
      }
    });
    worker.on('error', (error) => {
      this.logger?.error({ err: error }, 'model worker failed');
      settle.reject(new FeedError('model_unavailable', `model worker failed: ${describeError(error)}`));
    });
    worker.on('exit', (code) => {
      this.exited = true;
      if (!this.stopping) this.onUnexpectedExit?.(code);
      settle.reject(new FeedError('model_unavailable', 'model worker stopped before its model was built'));
      const stopped = new FeedError('model_unavailable', 'the model worker stopped; try again');
      for (const entry of this.pending.values()) entry.reject(stopped);
      this.pending.clear();
      this.idle?.();
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  get load(): number {
    return this.pending.size;
  }

  feed(request: FeedRequest): Promise<FeedResult> {
    if (this.exited) return Promise.reject(new FeedError('model_unavailable', 'the model worker stopped'));
    const id = this.nextId++;
    return new Promise<FeedResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'feed', id, request } satisfies ToWorker);
    });
  }

  /** Stops the thread at once. */
  async terminate(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
  }

  /** Stops the thread once its in-flight requests are answered (or after `timeoutMs`). */
  async retire(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.pending.size > 0 && !this.exited) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.worker.terminate();
  }
}

/** The workers holding one snapshot: the first joins when built, siblings join as they finish theirs. */
class Generation {
  readonly workers: ModelWorker[] = [];
  retired = false;

  constructor(
    readonly info: ModelInfo,
    first: ModelWorker,
    private readonly siblings: readonly ModelWorker[],
    retireTimeoutMs: number,
  ) {
    this.workers.push(first);
    for (const sibling of siblings) {
      sibling.ready.then(
        () => {
          if (this.retired) void sibling.retire(retireTimeoutMs);
          else this.workers.push(sibling);
        },
        () => {},
      );
    }
  }

  /** The least busy live worker, or undefined when every one has stopped. */
  pick(): ModelWorker | undefined {
    let best: ModelWorker | undefined;
    for (const w of this.workers) if (w.alive && (best === undefined || w.load < best.load)) best = w;
    return best;
  }

  async retire(timeoutMs: number): Promise<void> {
    this.retired = true;
    await Promise.all([...new Set([...this.workers, ...this.siblings])].map((w) => w.retire(timeoutMs)));
  }
}

let tsxApi: string | undefined;

/** The file URL of tsx's ESM registration API (only needed when running from TypeScript source). */
function tsxApiUrl(): string {
  if (tsxApi === undefined) {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
      exports: Record<string, { import?: { default?: string } }>;
    };
    const entry = pkg.exports['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs';
    tsxApi = pathToFileURL(join(dirname(manifest), entry)).href;
  }
  return tsxApi;
}

/** Starts the worker script next to this module (compiled `.js`, or `.ts` through tsx's loader). */
function spawnWorker(init: ModelWorkerInit, transferList: TransferListItem[]): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './model-worker.ts' : './model-worker.js', import.meta.url);
  const options = { workerData: init, transferList };
  if (!fromSource) return new Worker(entry, options);
  const code =
    `import { register } from ${JSON.stringify(tsxApiUrl())}; register();\n` +
    `await import(${JSON.stringify(entry.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), options);
}

/** The ArrayBuffers behind the training data's typed arrays, to transfer instead of copy. */
function buffersOf(data: TrainingData): ArrayBuffer[] {
  const { interactions: ev } = data;
  const arrays = [data.users, ev.userId, ev.postId, ev.kind, ev.at, ev.ratingPercent];
  return [...new Set(arrays.map((a) => a.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

/**
 * Holds the model in force and rebuilds it in the background.
 * @example
 * const holder = new ModelHolder({ source: { kind: 'database', url: 'data.db' } });
 * await holder.rebuild();
 * const feed = await holder.feed({ userId: 42, pageSize: 20 });
 */
export class ModelHolder {
  private active: Generation | null = null;
  private building: Promise<ModelInfo> | null = null;
  private queued: Promise<ModelInfo> | null = null;
  private generations = 0;
  private closed = false;
  private readonly starting = new Set<ModelWorker>();
  private readonly swapListeners: ((info: ModelInfo) => void)[] = [];
  private readonly failureListeners: ((error: Error) => void)[] = [];
  private readonly workers: number;
  private readonly retireTimeoutMs: number;
  /** The last build's error, cleared by a successful build. */
  lastError: string | null = null;

  constructor(private readonly options: ModelHolderOptions) {
    const { workers = 1, retireTimeoutMs = 30_000 } = options;
    if (!Number.isSafeInteger(workers) || workers < 1 || workers > 64) {
      throw new FeedError('config_invalid', `workers must be an integer 1..64, got ${workers}`);
    }
    this.workers = workers;
    this.retireTimeoutMs = retireTimeoutMs;
  }

  /** The snapshot in force, or null before the first build completes. */
  get info(): ModelInfo | null {
    return this.active?.info ?? null;
  }

  get isBuilding(): boolean {
    return this.building !== null;
  }

  /** Worker threads serving the snapshot in force, of the number configured (siblings join once built). */
  get workerCount(): { serving: number; configured: number } {
    const serving = this.active?.workers.filter((w) => w.alive).length ?? 0;
    return { serving, configured: this.workers };
  }

  /** Called (synchronously, at the swap) with each newly installed snapshot's info. */
  onSwap(listener: (info: ModelInfo) => void): void {
    this.swapListeners.push(listener);
  }

  /** Called with the error of each failed build (the old snapshot stays in force). */
  onFailure(listener: (error: Error) => void): void {
    this.failureListeners.push(listener);
  }

  /**
   * Builds a new snapshot in the background and swaps it in when complete. A call while a build runs
   * queues one more build (calls meanwhile share it), so a sync that lands mid-build is never missed.
   */
  rebuild(): Promise<ModelInfo> {
    if (this.closed) return Promise.reject(new FeedError('model_unavailable', 'the model holder is closed'));
    if (this.building === null) {
      this.building = this.build().finally(() => {
        this.building = null;
      });
      return this.building;
    }
    this.queued ??= this.building
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.rebuild();
      });
    return this.queued;
  }

  /**
   * A feed from the snapshot in force. Throws `FeedError('model_unavailable')` before the first build and
   * `bad_request` for a request the engine refuses (unknown category, model not built, …).
   */
  feed(request: FeedRequest): Promise<FeedResult> {
    const worker = this.active?.pick();
    if (worker === undefined) {
      const why = this.active === null ? 'the model is still being built' : 'no model worker is running';
      return Promise.reject(new FeedError('model_unavailable', `${why}; try again shortly (see /ready)`));
    }
    return worker.feed(request);
  }

  /** Stops every worker; pending requests fail with `model_unavailable`. */
  async close(): Promise<void> {
    this.closed = true;
    const active = this.active;
    this.active = null;
    await Promise.all([active?.retire(0), ...[...this.starting].map((w) => w.terminate())]);
  }

  private start(init: ModelWorkerInit, transfer: TransferListItem[]): ModelWorker {
    const worker = new ModelWorker(spawnWorker(init, transfer), this.options.logger);
    worker.onUnexpectedExit = (code) => this.workerDied(worker, code);
    this.starting.add(worker);
    worker.ready.then(
      () => this.starting.delete(worker),
      () => this.starting.delete(worker),
    );
    return worker;
  }

  /** A serving worker died: the others keep serving; with none left, a rebuild brings the model back. */
  private workerDied(worker: ModelWorker, code: number): void {
    if (this.closed || this.active === null || !this.active.workers.includes(worker)) return;
    const left = this.active.workers.filter((w) => w.alive).length;
    this.options.logger?.error({ code, left }, 'a model worker stopped unexpectedly');
    if (left === 0) {
      this.rebuild().catch(() => {
        // Logged by build(); requests answer 503 until a build succeeds.
      });
    }
  }

  private async build(): Promise<ModelInfo> {
    const generation = ++this.generations;
    const build = this.options.build ?? {};
    const { source, logger } = this.options;
    const channels = Array.from({ length: this.workers - 1 }, () => new MessageChannel());
    const share = channels.map((c) => c.port1);
    let dataPort: MessagePort | null = null;
    let first: ModelWorker;
    if (source.kind === 'database') {
      const init: ModelWorkerInit = {
        generation,
        source: { kind: 'database', url: source.url, ...(source.schema ? { schema: source.schema } : {}) },
        build,
        share,
      };
      first = this.start(init, share);
    } else {
      const channel = new MessageChannel();
      dataPort = channel.port1;
      first = this.start({ generation, source: { kind: 'port', port: channel.port2 }, build, share }, [
        channel.port2,
        ...share,
      ]);
    }
    const siblings = channels.map((c) =>
      this.start({ generation, source: { kind: 'port', port: c.port2 }, build, share: [] }, [c.port2]),
    );
    logger?.info({ generation, workers: this.workers }, 'model build started');
    try {
      if (dataPort !== null && source.kind === 'store') {
        const started = performance.now();
        const feedEventWatermark = await maxFeedEventId(source.store);
        const data = await loadTrainingDataFromStore(source.store, { feedEventsUpToId: feedEventWatermark });
        const message: TrainingDataMessage = {
          type: 'data',
          data,
          feedEventWatermark,
          loadSeconds: (performance.now() - started) / 1000,
        };
        dataPort.postMessage(message, buffersOf(data));
        dataPort.close();
      }
      const info = await first.ready;
      if (this.closed) throw new FeedError('model_unavailable', 'the model holder was closed during a build');
      const next = new Generation(info, first, siblings, this.retireTimeoutMs);
      const previous = this.active;
      // The swap: one assignment; the next request goes to the new snapshot.
      this.active = next;
      this.lastError = null;
      for (const listener of this.swapListeners) listener(info);
      logger?.info(
        { generation, buildSeconds: info.buildSeconds, loadSeconds: info.loadSeconds, posts: info.posts },
        'model swapped in',
      );
      if (previous) void previous.retire(this.retireTimeoutMs);
      return info;
    } catch (error) {
      await Promise.all([first, ...siblings].map((w) => w.terminate()));
      dataPort?.close();
      const failure = error instanceof Error ? error : new Error(describeError(error));
      this.lastError = failure.message;
      logger?.error({ generation, err: failure.message }, 'model build failed; the previous model stays');
      for (const listener of this.failureListeners) listener(failure);
      throw failure;
    }
  }
}
