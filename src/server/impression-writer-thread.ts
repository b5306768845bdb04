// The impression writer thread (see impression-writer.ts): owns one connection and writes each batch it is
// sent in one transaction, in the order sent, answering each. Its commits (and the WAL checkpoints they
// trigger) cost this thread, not the serving event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../shared/errors.js';
import { BATCH_NICE, lowerThisThreadPriority } from '../shared/fork-module.js';
import { insertImpressions } from '../store/impressions.js';
import { openStore, SERVING_PAGE_CACHE_MIB } from '../store/open.js';
import type { FromImpressionWriter, ImpressionWriterInit, ToImpressionWriter } from './impression-writer.js';

const port = parentPort;
if (port === null) throw new Error('impression-writer-thread.ts runs as a worker thread only');
const init = workerData as ImpressionWriterInit;

// Bookkeeping, not the answer to a request: it yields the cores to the HTTP and scoring threads (the
// buffer in front of it is bounded, so a starved writer drops impressions, counted, rather than stalls).
lowerThisThreadPriority(BATCH_NICE);

// One of the serving process's connections: a small page cache (a batch's random index inserts ran as
// fast with 8 MiB as with 64 here, and every MiB stays resident beside the snapshot).
const opening = openStore(init.database, {
  migrate: false,
  cacheSizeMiB: SERVING_PAGE_CACHE_MIB,
  ...(init.schema ? { schema: init.schema } : {}),
});
// A database that cannot be opened fails each write with its reason (below); unobserved, the rejection
// would end the thread instead, and each write would only learn that it ended.
opening.catch(() => {});
// Writes run one after another: a batch's transaction ends before the next begins.
let queue: Promise<unknown> = Promise.resolve();

port.on('message', (message: ToImpressionWriter) => {
  if (message.type === 'close') {
    queue = queue.then(async () => {
      await (await opening.catch(() => null))?.close();
      port.close();
    });
    return;
  }
  const { id, batch } = message;
  queue = queue.then(async () => {
    try {
      await insertImpressions((await opening).db, batch);
      port.postMessage({ type: 'written', id } satisfies FromImpressionWriter);
    } catch (error) {
      port.postMessage({ type: 'failed', id, message: describeError(error) } satisfies FromImpressionWriter);
    }
  });
});
