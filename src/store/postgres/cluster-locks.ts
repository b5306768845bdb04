// Cluster-wide locks and notifications on PostgreSQL, for several `serve` processes on one database.
//
// Locks are session-level advisory locks: held by one connection until it unlocks or goes away, so a
// process that dies (even `kill -9`) frees its locks as soon as the server sees its connection close.
// A lock's key is two int4: a hash of this application's name and a hash of the schema plus the lock's
// name, so stores in different schemas of one database never share a lock. Notifications go on one
// channel; each payload names the schema it is about, and listeners ignore other schemas'.
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { describeError, FeedError } from '../../shared/errors.js';
import { redactDatabaseUrl } from './store.js';

/**
 * The cluster's locks. `build` / `sync`: claimed (without waiting) by the serving process that starts a
 * build or a sync, so only one does at a time and the others can tell one runs. `build-run` / `sync-run`:
 * taken (waiting) by the build or sync process itself, so one left running by a process that died never
 * overlaps the next.
 */
export type ClusterLockName = 'build' | 'build-run' | 'sync' | 'sync-run';

/** The notification channel of every store in the database (payloads name their schema). */
export const CLUSTER_CHANNEL = 'empowerverse_feed_cluster';

const NAMESPACE = 'empowerverse-feed';
/** SQL for the lock's two keys, with $1 = NAMESPACE and $2 = the lock name. */
const KEYS = `hashtext($1), hashtext(coalesce(current_schema(), '') || '/' || $2)`;

/** A connection or pool that runs one query (pg.Client, pg.PoolClient or pg.Pool). */
type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * Takes the lock `name` on this session if it is free; true when taken. Reentrant per session (PostgreSQL
 * counts), so a session takes each lock once and unlocks it once.
 */
export async function tryClusterLock(session: Queryable, name: ClusterLockName): Promise<boolean> {
  const { rows } = await session.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${KEYS}) AS ok`, [
    NAMESPACE,
    name,
  ]);
  return rows[0]?.ok === true;
}

/** Takes the lock `name` on this session, waiting for whoever holds it. */
export async function waitForClusterLock(session: Queryable, name: ClusterLockName): Promise<void> {
  await session.query(`SELECT pg_advisory_lock(${KEYS})`, [NAMESPACE, name]);
}

/** Releases the lock `name` held by this session (false when it did not hold it). */
export async function releaseClusterLock(session: Queryable, name: ClusterLockName): Promise<boolean> {
  const { rows } = await session.query<{ ok: boolean }>(`SELECT pg_advisory_unlock(${KEYS}) AS ok`, [
    NAMESPACE,
    name,
  ]);
  return rows[0]?.ok === true;
}

/**
 * Whether any session of this database holds the lock `name` (of this schema), read from pg_locks without
 * touching the lock: a probe must never make a real claimant fail.
 */
export async function isClusterLockHeld(db: Queryable, name: ClusterLockName): Promise<boolean> {
  const { rows } = await db.query<{ held: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 2
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND classid = hashtext($1)::oid
         AND objid = hashtext(coalesce(current_schema(), '') || '/' || $2)::oid
     ) AS held`,
    [NAMESPACE, name],
  );
  return rows[0]?.held === true;
}

/** What goes over the channel: the schema it is about, a kind, and the kind's data. */
export interface ClusterNotice {
  schema: string;
  kind: string;
  data: unknown;
}

/** Largest payload PostgreSQL carries (8000 bytes by default), with room for the envelope. */
const MAX_DATA_BYTES = 7000;

/**
 * Sends `data` of `kind` to every session listening on `CLUSTER_CHANNEL` (delivered when the current
 * transaction, if any, commits), through a pg connection or a Kysely instance. Data too large for a
 * notification is refused.
 */
export async function notifyCluster(
  db: Queryable | Kysely<unknown>,
  kind: string,
  data: unknown,
): Promise<void> {
  const json = JSON.stringify(data);
  if (Buffer.byteLength(json) > MAX_DATA_BYTES) {
    throw new FeedError('internal', `cluster notification ${kind} is too large (${json.length} bytes)`);
  }
  if ('query' in db) {
    await db.query(
      `SELECT pg_notify($1, json_build_object('schema', coalesce(current_schema(), ''), 'kind', $2::text, 'data', $3::json)::text)`,
      [CLUSTER_CHANNEL, kind, json],
    );
    return;
  }
  await sql`SELECT pg_notify(${CLUSTER_CHANNEL}, json_build_object('schema', coalesce(current_schema(), ''), 'kind', ${kind}::text, 'data', ${json}::json)::text)`.execute(
    db,
  );
}

/** Parses a payload of `CLUSTER_CHANNEL`; null for anything else. */
export function parseClusterNotice(payload: string | undefined): ClusterNotice | null {
  if (payload === undefined) return null;
  try {
    const value = JSON.parse(payload) as Partial<ClusterNotice>;
    return typeof value.schema === 'string' && typeof value.kind === 'string'
      ? { schema: value.schema, kind: value.kind, data: value.data }
      : null;
  } catch {
    return null;
  }
}

/** A connection of its own for session state (locks, LISTEN): what the pool cannot give. */
export function sessionClient(url: string, schema?: string): pg.Client {
  return new pg.Client({
    connectionString: url,
    keepAlive: true,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
}

/** A lock held by a connection of its own; `release` unlocks and closes the connection. */
export interface HeldClusterLock {
  release(): Promise<void>;
}

/**
 * Opens a connection of its own and takes the lock `name` on it, waiting for any holder: what a build or
 * sync process holds for as long as it works. Should the connection drop, the lock is gone with it.
 * @example const lock = await holdClusterLock(url, 'build-run'); try { … } finally { await lock.release(); }
 */
export async function holdClusterLock(
  url: string,
  name: ClusterLockName,
  { schema }: { schema?: string } = {},
): Promise<HeldClusterLock> {
  const lock = await holdClusterLocks(url, [name], {
    ...(schema === undefined ? {} : { schema }),
    wait: true,
  });
  if (lock === null) throw new FeedError('internal', `the cluster lock ${name} was not taken`);
  return lock;
}

/**
 * Opens a connection of its own and takes the locks `names` on it, in order: waiting for each holder with
 * `wait` (the default), else only when every one is free — null when one is held (none is kept then).
 * `release` unlocks them all and closes the connection; should it drop, the locks are gone with it.
 * @example const lock = await holdClusterLocks(url, ['build', 'build-run'], { wait: false }); // null: busy
 */
export async function holdClusterLocks(
  url: string,
  names: readonly ClusterLockName[],
  { schema, wait = true }: { schema?: string; wait?: boolean } = {},
): Promise<HeldClusterLock | null> {
  const client = sessionClient(url, schema);
  // A dropped connection is reported by the next query; it must not crash the process meanwhile.
  client.on('error', () => {});
  const taken: ClusterLockName[] = [];
  const release = async () => {
    // Closing the session frees its locks; unlocking first just says so sooner.
    for (const name of taken.reverse()) await releaseClusterLock(client, name).catch(() => false);
    await client.end().catch(() => {});
  };
  try {
    await client.connect();
    for (const name of names) {
      if (wait) await waitForClusterLock(client, name);
      else if (!(await tryClusterLock(client, name))) {
        await release();
        return null;
      }
      taken.push(name);
    }
  } catch (error) {
    await client.end().catch(() => {});
    throw new FeedError(
      'store_failed',
      `taking the cluster lock${names.length > 1 ? 's' : ''} ${names.join(', ')} in PostgreSQL ${redactDatabaseUrl(url)} failed: ${describeError(error)}`,
      { cause: error },
    );
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await release();
    },
  };
}
