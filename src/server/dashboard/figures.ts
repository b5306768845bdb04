// The dashboard's catalogue-wide figures (full-table counts and groupings), computed off the serving
// event loop. On a SQLite file better-sqlite3 runs each query synchronously, and one of these over 2M
// interactions held the loop ~1 s: every feed request in flight waited for an admin's page view. A
// worker thread with its own connection, at batch priority, runs them instead. PostgreSQL's driver is
// asynchronous, so there (and for an in-memory SQLite store, which no other thread can open) they run
// on this thread.
import type { Worker } from 'node:worker_threads';
import { FeedError } from '../../shared/errors.js';
import { siblingModuleUrl, startModuleThread } from '../../shared/fork-module.js';
import { parseDatabaseUrl } from '../../store/open.js';
import type { Store } from '../../store/types.js';
import { popularityTail, postsPerCategory } from './data/distributions.js';
import { interactionsPerDay } from './data/interactions.js';
import { mostActive } from './data/most-active.js';

/** Each figure, from a store: what both this thread and the figures thread run. */
export const FIGURE_QUERIES = {
  stats: (store: Store) => store.stats(),
  perDay: (store: Store) => interactionsPerDay(store.db),
  receivedPerDay: (store: Store) => interactionsPerDay(store.db, undefined, 'received'),
  categories: (store: Store) => postsPerCategory(store.db, store.dialect),
  tail: (store: Store) => popularityTail(store.db),
  activeUsers: (store: Store) => mostActive(store.db, 'user_id', 25),
  activePosts: (store: Store) => mostActive(store.db, 'post_id', 25),
} satisfies Record<string, (store: Store) => Promise<unknown>>;

export type FigureName = keyof typeof FIGURE_QUERIES;
export type Figure<N extends FigureName> = Awaited<ReturnType<(typeof FIGURE_QUERIES)[N]>>;

/** What the figures thread is started with. */
export interface FiguresWorkerInit {
  url: string;
  schema?: string;
}
export type ToFiguresWorker = { id: number; name: FigureName };
export type FromFiguresWorker =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; message: string };

/**
 * Computes figures for the dashboard: in a worker thread for a SQLite file, else on this thread.
 * @example const stats = await new CatalogueFigures(store, { url: 'data.db' }).compute('stats');
 */
export class CatalogueFigures {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 1;
  private closed = false;
  /** Whether figures are computed in the worker thread (a SQLite file database). */
  readonly offThread: boolean;

  constructor(
    private readonly store: Store,
    private readonly database?: FiguresWorkerInit,
  ) {
    const target = database === undefined ? null : parseDatabaseUrl(database.url);
    this.offThread =
      target !== null && target.dialect === 'sqlite' && target.path !== '' && target.path !== ':memory:';
  }

  compute<N extends FigureName>(name: N): Promise<Figure<N>> {
    if (this.closed) return Promise.reject(new FeedError('internal', 'the dashboard figures were closed'));
    if (!this.offThread) return FIGURE_QUERIES[name](this.store) as Promise<Figure<N>>;
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise<Figure<N>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, name } satisfies ToFiguresWorker);
    });
  }

  /** Stops the thread; figures still being computed fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) await worker.terminate();
  }

  /** The figures thread, started on first use (a dashboard nobody opens costs nothing). */
  private thread(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = startModuleThread(siblingModuleUrl(import.meta.url, 'figures-worker'), this.database);
    worker.on('message', (message: FromFiguresWorker) => {
      const entry = this.pending.get(message.id);
      if (entry === undefined) return;
      this.pending.delete(message.id);
      if (message.ok) entry.resolve(message.value);
      else entry.reject(new FeedError('store_failed', message.message));
    });
    const failAll = (error: Error) => {
      for (const entry of this.pending.values()) entry.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) =>
      failAll(new FeedError('internal', `dashboard figures thread failed: ${error.message}`)),
    );
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      failAll(new FeedError('internal', 'the dashboard figures thread stopped; reload the page'));
    });
    // The thread must not keep a stopping server's process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
