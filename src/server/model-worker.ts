// A serving thread: opens the snapshot artifacts the server shares with it (SharedArrayBuffer views, no
// copy) and answers feed requests from the generation each request names. Never builds, never reads
// the database: one copy of the model serves every worker.
import { parentPort } from 'node:worker_threads';
import { decodeSnapshot, openSnapshot } from '../recommend/index.js';
import { describeError, FeedError } from '../shared/errors.js';
import { ColdFeeds } from './cold-feeds.js';
import type { FromServingWorker, ToServingWorker } from './model-protocol.js';

const port = parentPort;
if (port === null) throw new Error('model-worker.ts runs as a worker thread only');
const post = (message: FromServingWorker) => port.postMessage(message);

/** Open snapshots by generation: the one in force and, during a swap, the next. */
const feeds = new Map<number, ColdFeeds>();

port.on('message', (message: ToServingWorker) => {
  switch (message.type) {
    case 'install': {
      try {
        // The loader verified the checksum once for every worker.
        const { data } = decodeSnapshot(message.bytes, { verify: false });
        feeds.set(message.generation, new ColdFeeds(openSnapshot(data)));
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
    case 'drop':
      feeds.delete(message.generation);
      return;
    case 'feed': {
      const current = feeds.get(message.generation);
      if (current === undefined) {
        post({
          type: 'feed',
          id: message.id,
          ok: false,
          code: 'model_unavailable',
          message: `snapshot generation ${message.generation} is not loaded in this worker; try again`,
        });
        return;
      }
      try {
        post({ type: 'feed', id: message.id, ok: true, result: current.feed(message.request) });
      } catch (error) {
        const known = error instanceof FeedError;
        post({
          type: 'feed',
          id: message.id,
          ok: false,
          code: known ? error.code : 'internal',
          message: known ? error.message : describeError(error),
        });
      }
    }
  }
});
