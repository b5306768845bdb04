// The sync child process: the server's SyncRunner forks it (at the lowest CPU priority) so that a sync's
// paging, validation and SQLite writes never run on the serving event loop. It runs one sync: waits for a
// `start` message (the only place the Flic token travels), opens the store itself, runs `runSync` with its
// progress forwarded over IPC, closes the store, answers `done` (or `failed`) and exits 0.
import { describeError } from '../shared/errors.js';
import { redact, registerSecret } from '../shared/redact.js';
import { openStore } from '../store/open.js';
import { type HeldClusterLock, holdClusterLock } from '../store/postgres/cluster-locks.js';
import type { Store } from '../store/types.js';
import type { ProgressReporter } from '../sync/progress.js';
import { runSync } from '../sync/sync.js';
import type { FromSyncChild, ToSyncChild } from './sync-protocol.js';

if (typeof process.send !== 'function') {
  throw new Error('sync-child runs as a child process with an IPC channel only (see SyncRunner)');
}

/** How long a sync may take to stop after the parent went away before the process exits anyway. */
const ORPHAN_EXIT_MS = 10_000;

const controller = new AbortController();
let started = false;

/** Sends without waiting. A lost message (the parent went away) is dropped: the 'disconnect' handler acts. */
function send(message: FromSyncChild): void {
  // With a callback, a broken channel (EPIPE, ERR_IPC_CHANNEL_CLOSED) is reported to it instead of being
  // emitted as an 'error' event on `process`, which would crash the sync mid-page.
  if (process.connected) process.send?.(message, undefined, undefined, () => {});
}

const progress: ProgressReporter = {
  start: (source, info) => send({ type: 'progress-start', source, info }),
  update: (source, p) => send({ type: 'progress-update', source, progress: p }),
  finish: (source, p) => send({ type: 'progress-finish', source, progress: p }),
  stop() {},
};

/** Sends a message and resolves once it is written (or at once when the parent is gone). */
function deliver(message: FromSyncChild): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || process.send === undefined) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

async function run(start: Extract<ToSyncChild, { type: 'start' }>): Promise<FromSyncChild> {
  registerSecret(start.upstream.token);
  let store: Store | undefined;
  let lock: HeldClusterLock | undefined;
  try {
    // A sync process left by a replica that died holds it until it stops (within a page).
    if (start.clusterLock) {
      lock = await holdClusterLock(start.database, 'sync-run', {
        ...(start.schema !== undefined ? { schema: start.schema } : {}),
      });
    }
    // The server opened (and migrated) this database already.
    store = await openStore(start.database, {
      migrate: false,
      ...(start.schema !== undefined ? { schema: start.schema } : {}),
    });
    const report = await runSync({
      store,
      upstream: { ...start.upstream, onRetry: (info) => send({ type: 'retry', info }) },
      signal: controller.signal,
      progress,
    });
    return { type: 'done', report };
  } catch (error) {
    return { type: 'failed', message: redact(describeError(error)) };
  } finally {
    await store?.close().catch(() => {});
    await lock?.release();
  }
}

process.on('message', (message: ToSyncChild) => {
  if (message.type === 'start' && !started) {
    started = true;
    // Exits explicitly: idle keep-alive sockets of the HTTP client must not keep the process up.
    void run(message)
      .then(deliver)
      .finally(() => process.exit(0));
  } else if (message.type === 'abort') {
    controller.abort(new Error(message.reason));
  }
});

// The server went away (shut down, crashed, killed): stop after the current page and exit.
process.on('disconnect', () => {
  controller.abort(new Error('the server process went away'));
  if (!started) process.exit(0);
  setTimeout(() => process.exit(0), ORPHAN_EXIT_MS).unref();
});

send({ type: 'ready' });
