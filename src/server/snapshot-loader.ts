// The loader thread: reads one stored snapshot artifact from the database into a SharedArrayBuffer and
// verifies it (magic, format version, length, checksum) off the serving event loop, then hands the
// bytes back to be shared by every serving worker.
import { parentPort, workerData } from 'node:worker_threads';
import { decodeSnapshot } from '../recommend/index.js';
import { collectGarbage } from '../shared/collect-garbage.js';
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

/**
 * A full collection of this thread's heap. Each batch of chunks arrives as fresh buffers that are copied
 * once and dropped; V8 frees them only when it collects, which it did every ~60 MB of them, and that came
 * on top of the old and new snapshots both resident at a swap (peak RSS 628 → 572 MB at 100k users,
 * serve's heaviest moment). The loader's own heap is tiny, so each collection costs about a millisecond.
 */
const afterBatch = () => {
  collectGarbage();
};

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
      { afterBatch },
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
