// What `empowerverse build` and `empowerverse sync` claim on a postgres:// database, beside any serving
// replicas: the same cluster locks a replica takes for its own build or sync (the claim `build` / `sync`
// and the run lock `build-run` / `sync-run` its build or sync process holds), so a person's run never
// overlaps the replicas' and the replicas hold off theirs while it works. SQLite takes none (one process).
import { FeedError } from '../shared/errors.js';
import { parseDatabaseUrl } from '../store/open.js';
import {
  type ClusterLockName,
  type HeldClusterLock,
  holdClusterLocks,
} from '../store/postgres/cluster-locks.js';

export type ClusterWork = 'build' | 'sync';

const LOCKS: Record<ClusterWork, readonly ClusterLockName[]> = {
  build: ['build', 'build-run'],
  sync: ['sync', 'sync-run'],
};

const BUSY: Record<ClusterWork, string> = {
  build:
    'a model build is already running in the cluster (a serving replica or another `empowerverse build` holds the build lock); its snapshot reaches every replica when stored',
  sync: 'a sync is already running in the cluster (a serving replica or another `empowerverse sync` holds the sync lock; GET /admin/sync on a replica shows its progress)',
};

/**
 * Takes the cluster's locks for `work` on the database `url` names, held until `release()`; null for SQLite.
 * When a replica (or another CLI run) holds one, throws `FeedError('conflict')` saying so, or with `wait`
 * says so on `notify` and waits for it.
 */
export async function claimClusterWork(
  url: string,
  work: ClusterWork,
  { wait = false, notify }: { wait?: boolean; notify?: (message: string) => void } = {},
): Promise<HeldClusterLock | null> {
  const target = parseDatabaseUrl(url);
  if (target.dialect !== 'postgres') return null;
  const held = await holdClusterLocks(target.url, LOCKS[work], { wait: false });
  if (held !== null) return held;
  if (!wait) throw new FeedError('conflict', `${BUSY[work]}: try again once it ends, or pass --wait`);
  notify?.(`${BUSY[work]}: waiting for it to end (--wait)`);
  return holdClusterLocks(target.url, LOCKS[work], { wait: true });
}
