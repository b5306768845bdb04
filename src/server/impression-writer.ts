// Where the impression log's batches are written. A batch is thousands of rows into indexed tables each
// second under load, and SQLite writes are synchronous: on the serving event loop, one flush blocked it for
// 60–300 ms a second (more as the table grew, and the WAL checkpoints its commits trigger), which users saw
// as p99 spikes. So a serving process writes from a thread of its own, with its own connection; the event
// loop only posts the batch. In-process writing remains for stores that only this thread can reach (an
// in-memory database) and for library use.
import type { Worker } from 'node:worker_threads';
import { FeedError } from '../shared/errors.js';
import { siblingModuleUrl, startModuleThread } from '../shared/fork-module.js';
import { type Impression, insertImpressions } from '../store/impressions.js';
import type { Store } from '../store/types.js';

export interface ImpressionWriter {
  /** Stores the batch (in one transaction); rejects when it could not, leaving none of it stored. */
  write(batch: readonly Impression[]): Promise<void>;
  /** Ends the writer once its current write is done. */
  close(): Promise<void>;
}

/** Writes through `store` on the calling thread. */
export function storeImpressionWriter(store: Store): ImpressionWriter {
  return {
    write: (batch) => insertImpressions(store.db, batch),
    close: async () => {},
  };
}

/** What the writer thread is given at start. */
export interface ImpressionWriterInit {
  /** Database URL or SQLite path (the serving store's). */
  database: string;
  schema?: string;
}

export type ToImpressionWriter =
  | { type: 'write'; id: number; batch: readonly Impression[] }
  | { type: 'close' };

export type FromImpressionWriter =
  | { type: 'written'; id: number }
  | { type: 'failed'; id: number; message: string };

/**
 * The writer's heap: a batch is short-lived garbage (a few MB a second), so a small young generation
 * collects it as well as V8's default one, which kept ~13 MB more resident beside the snapshot (a 48 MB
 * heap against 35 here).
 */
const WRITER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 8 };

type Pending = { resolve: () => void; reject: (error: Error) => void };

/**
 * Writes from a worker thread with its own connection to `database`. A thread that dies (or cannot open
 * the database) fails the writes it held; the next write starts a new one.
 */
export function threadImpressionWriter(init: ImpressionWriterInit): ImpressionWriter {
  let worker: Worker | null = null;
  let nextId = 1;
  let closed = false;
  const pending = new Map<number, Pending>();

  const failAll = (why: string) => {
    for (const { reject } of pending.values()) reject(new FeedError('store_failed', why));
    pending.clear();
  };

  const start = (): Worker => {
    const thread = startModuleThread(
      siblingModuleUrl(import.meta.url, 'impression-writer-thread'),
      init,
      WRITER_HEAP_LIMITS,
    );
    thread.on('message', (message: FromImpressionWriter) => {
      const settle = pending.get(message.id);
      if (settle === undefined) return;
      pending.delete(message.id);
      if (message.type === 'written') settle.resolve();
      else settle.reject(new FeedError('store_failed', message.message));
    });
    thread.on('error', (error) => failAll(`impression writer thread failed: ${error.message}`));
    thread.on('exit', (code) => {
      if (worker === thread) worker = null;
      failAll(`impression writer thread ended (exit code ${code})`);
    });
    // The writer never keeps a process alive: close() flushes what is buffered first.
    thread.unref();
    return thread;
  };

  return {
    write(batch) {
      if (closed) return Promise.reject(new FeedError('store_failed', 'the impression writer is closed'));
      worker ??= start();
      const id = nextId++;
      const done = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }));
      worker.postMessage({ type: 'write', id, batch } satisfies ToImpressionWriter);
      return done;
    },
    async close() {
      closed = true;
      const thread = worker;
      if (thread === null) return;
      const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      // Messages are handled in order: the close comes after every write already posted.
      thread.postMessage({ type: 'close' } satisfies ToImpressionWriter);
      await exited;
    },
  };
}
