// A serving thread: opens the snapshot artifacts the server shares with it (SharedArrayBuffer views, no
// copy) and answers feed and discovery requests from the generation each request names. Never builds,
// never reads the database: one copy of the model serves every worker.
import { parentPort } from 'node:worker_threads';
import { Discovery, decodeSnapshot, openSnapshot, warmSnapshot } from '../recommend/index.js';
import { collectedAfterGc } from '../shared/collect-garbage.js';
import { describeError, FeedError } from '../shared/errors.js';
import { ColdFeeds } from './cold-feeds.js';
import type { FromServingWorker, ToServingWorker } from './model-protocol.js';

const port = parentPort;
if (port === null) throw new Error('model-worker.ts runs as a worker thread only');
const post = (message: FromServingWorker) => port.postMessage(message);

/** What one opened snapshot answers: feeds, and the discovery lists (orderings computed on first use). */
interface Served {
  feeds: ColdFeeds;
  discovery: Discovery;
  /** The shared memory it reads, held weakly: a drop checks that nothing here still holds it. */
  memory: WeakRef<ArrayBufferLike>;
}

/** Open snapshots by generation: the one in force and, during a swap, the next. */
const served = new Map<number, Served>();

/** Answers a request with `answer`, or with the error it threw (a FeedError's code kept). */
function reply<T>(type: 'feed' | 'discover', id: number, answer: () => T): void {
  try {
    post({ type, id, ok: true, result: answer() } as FromServingWorker);
  } catch (error) {
    const known = error instanceof FeedError;
    post({
      type,
      id,
      ok: false,
      code: known ? error.code : 'internal',
      message: known ? error.message : describeError(error),
    });
  }
}

port.on('message', (message: ToServingWorker) => {
  switch (message.type) {
    case 'install': {
      try {
        // The loader verified the checksum once for every worker.
        const { data } = decodeSnapshot(message.bytes, { verify: false });
        const snapshot = openSnapshot(data);
        // Before it reports installed: the first requests then find warm caches and compiled code.
        warmSnapshot(snapshot);
        served.set(message.generation, {
          feeds: new ColdFeeds(snapshot),
          discovery: new Discovery(snapshot),
          memory: new WeakRef(message.bytes.buffer),
        });
        post({
          type: 'installed',
          generation: message.generation,
          shared: message.bytes.buffer instanceof SharedArrayBuffer,
          byteLength: message.bytes.byteLength,
        });
      } catch (error) {
        post({ type: 'install-failed', generation: message.generation, message: describeError(error) });
      }
      return;
    }
    case 'drop': {
      // Collected at once rather than at V8's leisure: this thread's handle is what keeps the snapshot's
      // memory mapped (a few ms on this heap, while the other workers serve).
      const { generation } = message;
      const memory = served.get(generation)?.memory;
      served.delete(generation);
      if (memory === undefined) post({ type: 'dropped', generation, released: true, gcMs: 0 });
      else
        void collectedAfterGc(memory).then(({ collected, gcMs }) =>
          post({ type: 'dropped', generation, released: collected, gcMs }),
        );
      return;
    }
    case 'feed':
    case 'discover': {
      const current = served.get(message.generation);
      reply(message.type, message.id, () => {
        if (current === undefined) {
          throw new FeedError(
            'model_unavailable',
            `snapshot generation ${message.generation} is not loaded in this worker; try again`,
          );
        }
        return message.type === 'feed'
          ? current.feeds.feed(message.request)
          : current.discovery.list(message.request);
      });
    }
  }
});
