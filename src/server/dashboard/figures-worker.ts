// The dashboard's figures thread: its own connection to the SQLite file, at batch priority, answering
// one figure per message (see figures.ts for why it exists).
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../../shared/errors.js';
import { BATCH_NICE, lowerThisThreadPriority } from '../../shared/fork-module.js';
import { openStore, SERVING_PAGE_CACHE_MIB } from '../../store/open.js';
import type { Store } from '../../store/types.js';
import {
  FIGURE_QUERIES,
  type FiguresWorkerInit,
  type FromFiguresWorker,
  type ToFiguresWorker,
} from './figures.js';

const port = parentPort;
if (port === null) throw new Error('figures-worker.ts runs as a worker thread only');
const init = workerData as FiguresWorkerInit;
lowerThisThreadPriority(BATCH_NICE);

let store: Promise<Store> | null = null;
/** The thread's connection; a failed open is forgotten, so the next figure tries again. */
const open = () =>
  (store ??= openStore(init.url, {
    migrate: false,
    cacheSizeMiB: SERVING_PAGE_CACHE_MIB,
    ...(init.schema ? { schema: init.schema } : {}),
  }).catch((error: unknown) => {
    store = null;
    throw error;
  }));

port.on('message', async ({ id, name }: ToFiguresWorker) => {
  let reply: FromFiguresWorker;
  try {
    const query = FIGURE_QUERIES[name];
    if (query === undefined) throw new Error(`unknown figure ${JSON.stringify(name)}`);
    reply = { id, ok: true, value: await query(await open()) };
  } catch (error) {
    reply = { id, ok: false, message: describeError(error) };
  }
  port.postMessage(reply);
});
