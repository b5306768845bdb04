// The loader thread: reads one stored snapshot artifact from the database into a SharedArrayBuffer and
// verifies it (magic, format version, length, checksum) off the serving event loop, then hands the
// bytes back to be shared by every serving worker.
import { parentPort, workerData } from 'node:worker_threads';
import { decodeSnapshot } from '../recommend/index.js';
import { describeError } from '../shared/errors.js';
import { BATCH_NICE, lowerThisThreadPriority } from '../shared/fork-module.js';
import { openStore, STREAMING_PAGE_CACHE_MIB } from '../store/open.js';
import { readSnapshotArtifact } from '../store/snapshots.js';
import type { FromLoader, LoaderInit, SnapshotMeta } from './model-protocol.js';

const port = parentPort;
if (port === null) throw new Error('snapshot-loader.ts runs as a worker thread only');
const init = workerData as LoaderInit;

// Batch work inside the serving process: it yields the cores to the HTTP and scoring threads.
lowerThisThreadPriority(BATCH_NICE);

try {
  const started = performance.now();
  const store = await openStore(init.database, {
    migrate: false,
    cacheSizeMiB: STREAMING_PAGE_CACHE_MIB,
    ...(init.schema ? { schema: init.schema } : {}),
  });
  let bytes: Uint8Array;
  try {
    bytes = await readSnapshotArtifact(
      store,
      init.snapshotId,
      (n) => new Uint8Array(new SharedArrayBuffer(n)),
    );
  } finally {
    await store.close();
  }
  const decoded = decodeSnapshot<SnapshotMeta>(bytes);
  const seconds = (performance.now() - started) / 1000;
  port.postMessage({
    type: 'loaded',
    bytes,
    meta: decoded.meta,
    checksum: decoded.checksum,
    seconds,
  } satisfies FromLoader);
} catch (error) {
  port.postMessage({ type: 'failed', message: describeError(error) } satisfies FromLoader);
}
