// The build child process: started at the lowest CPU priority by the serving process, it reads the
// store, fits a snapshot, saves the artifact in the store and says which one; then exits. Builds never
// run on the serving process, so they cannot stall its event loop or its workers' CPU share.
import { describeError } from '../shared/errors.js';
import { openStore } from '../store/open.js';
import { type HeldClusterLock, holdClusterLock } from '../store/postgres/cluster-locks.js';
import type { BuildRequest, FromBuildChild } from './model-protocol.js';
import { buildAndStoreSnapshot } from './snapshot-build.js';

const send = (message: FromBuildChild) =>
  new Promise<void>((resolve) => {
    if (!process.send) resolve();
    else process.send(message, () => resolve());
  });

process.once('message', async (request: BuildRequest) => {
  let code = 0;
  let lock: HeldClusterLock | undefined;
  try {
    if (request.clusterLock) {
      void send({ type: 'step', step: 'lock', index: 0, steps: 1 });
      lock = await holdClusterLock(request.database, 'build-run', {
        ...(request.schema ? { schema: request.schema } : {}),
      });
    }
    const store = await openStore(request.database, {
      migrate: false,
      ...(request.schema ? { schema: request.schema } : {}),
    });
    try {
      const built = await buildAndStoreSnapshot(store, {
        build: request.build,
        keep: request.keep,
        onStep: (step, index, steps) => void send({ type: 'step', step, index, steps }),
      });
      await send({ type: 'built', id: built.id, byteSize: built.byteSize, meta: built.meta });
    } finally {
      await store.close();
    }
  } catch (error) {
    code = 1;
    await send({ type: 'failed', message: describeError(error) });
  } finally {
    await lock?.release();
  }
  process.disconnect?.();
  process.exitCode = code;
});
// A parent that goes away takes its build with it.
process.on('disconnect', () => process.exit(process.exitCode ?? 0));
