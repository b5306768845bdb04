// What one `serve` replica needs to work beside others on one PostgreSQL database: claims that only one
// replica holds at a time (who builds, who syncs), a way to tell whether another holds one, and
// notifications to and from every replica (a snapshot was stored, a sync's progress).
//
// Everything runs on one session connection of its own (advisory locks and LISTEN live in a session).
// When it drops, the claims on it are gone (the server frees them with the connection); the coordinator
// reconnects with backoff, listens again and takes back the claims still in use if they are free. The
// processes doing the work hold locks of their own (`build-run`, `sync-run`), so a claim lost this way
// never lets two builds or two syncs overlap.
import { hostname } from 'node:os';
import type pg from 'pg';
import { describeError, FeedError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import {
  CLUSTER_CHANNEL,
  type ClusterLockName,
  isClusterLockHeld,
  notifyCluster,
  parseClusterNotice,
  releaseClusterLock,
  sessionClient,
  tryClusterLock,
} from '../store/postgres/cluster-locks.js';
import { redactDatabaseUrl } from '../store/postgres/store.js';

/** The claims a serving process takes: who builds the next snapshot, who runs the sync. */
export type ClaimName = Extract<ClusterLockName, 'build' | 'sync'>;

/** A claim this replica holds until `release()`. */
export interface ClusterClaim {
  readonly name: ClaimName;
  release(): Promise<void>;
}

/** What replicas tell each other. */
export type ClusterNoticeKind = 'snapshot' | 'sync';

export interface ClusterCoordinatorOptions {
  /** PostgreSQL schema of the store (default: the connection's search_path). */
  schema?: string;
  logger?: Logger;
  /** First reconnect delay; doubles up to 10 s. Default 500 ms. */
  reconnectMs?: number;
  /** This replica's name (default host:pid); replicas in one process need names of their own. */
  replica?: string;
}

const MAX_RECONNECT_MS = 10_000;

/**
 * One replica's link to the others through its PostgreSQL database.
 * @example
 * const cluster = await ClusterCoordinator.open(url, { logger });
 * const claim = await cluster.tryClaim('sync');  // null: another replica syncs
 * cluster.subscribe('snapshot', (data) => …);
 */
export class ClusterCoordinator {
  /** This replica, as logs and `GET /admin/sync` name it: host and process id unless named. */
  readonly replica: string;
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private schemaName = '';
  private readonly held = new Set<ClaimName>();
  /** Claims being asked for: a second ask meanwhile must not reenter the session's lock. */
  private readonly claiming = new Set<ClaimName>();
  private readonly listeners = new Map<ClusterNoticeKind, Set<(data: unknown) => void>>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelay: number;
  private closed = false;

  private constructor(
    private readonly url: string,
    private readonly options: ClusterCoordinatorOptions,
  ) {
    this.reconnectDelay = options.reconnectMs ?? 500;
    this.replica = options.replica ?? `${hostname()}:${process.pid}`;
  }

  /** Connects (and listens) before resolving, so a replica that cannot reach its database fails at start. */
  static async open(url: string, options: ClusterCoordinatorOptions = {}): Promise<ClusterCoordinator> {
    const coordinator = new ClusterCoordinator(url, options);
    await coordinator.session();
    return coordinator;
  }

  /**
   * Takes `name` if no replica holds it; null when one does. Throws `FeedError('store_failed')` when the
   * database cannot be reached (nobody can tell then who holds it).
   */
  async tryClaim(name: ClaimName): Promise<ClusterClaim | null> {
    // Advisory locks are reentrant per session: this replica's own holders are told apart here.
    if (this.held.has(name) || this.claiming.has(name)) return null;
    this.claiming.add(name);
    let client: pg.Client;
    try {
      client = await this.session();
      if (!(await this.guard(`claiming ${name}`, () => tryClusterLock(client, name)))) return null;
    } finally {
      this.claiming.delete(name);
    }
    this.held.add(name);
    let released = false;
    return {
      name,
      release: async () => {
        if (released) return;
        released = true;
        this.held.delete(name);
        // On a session that has dropped meanwhile there is nothing left to unlock.
        if (this.client === client) await releaseClusterLock(client, name).catch(() => false);
      },
    };
  }

  /** Whether any replica (this one included) holds `name`. */
  async isClaimed(name: ClaimName): Promise<boolean> {
    if (this.held.has(name) || this.claiming.has(name)) return true;
    const client = await this.session();
    return this.guard(`looking up ${name}`, () => isClusterLockHeld(client, name));
  }

  /** Tells every replica (this one too); a failure is logged, never thrown (replicas also poll). */
  async publish(kind: ClusterNoticeKind, data: unknown): Promise<void> {
    try {
      await notifyCluster(await this.session(), kind, data);
    } catch (error) {
      this.options.logger?.warn({ kind, err: describeError(error) }, 'cluster notification not sent');
    }
  }

  /** Calls `listener` with the data of every `kind` notice about this store; returns the unsubscriber. */
  subscribe(kind: ClusterNoticeKind, listener: (data: unknown) => void): () => void {
    let set = this.listeners.get(kind);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(kind, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.held.clear();
    const client = this.client ?? (await this.connecting?.catch(() => null)) ?? null;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async guard<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new FeedError(
        'store_failed',
        `${what} in PostgreSQL ${redactDatabaseUrl(this.url)} failed: ${describeError(error)}`,
        { cause: error },
      );
    }
  }

  /** The session connection, connecting (and listening) first when there is none. */
  private session(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new FeedError('internal', 'the cluster coordinator is closed'));
    if (this.client !== null) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = sessionClient(this.url, this.options.schema);
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (message) => {
      if (message.channel !== CLUSTER_CHANNEL) return;
      const notice = parseClusterNotice(message.payload);
      if (notice === null || notice.schema !== this.schemaName) return;
      for (const listener of this.listeners.get(notice.kind as ClusterNoticeKind) ?? []) {
        try {
          listener(notice.data);
        } catch (error) {
          this.options.logger?.error({ err: describeError(error) }, 'cluster notice handler failed');
        }
      }
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ s: string }>(`SELECT coalesce(current_schema(), '') AS s`);
      this.schemaName = rows[0]?.s ?? '';
      await client.query(`LISTEN ${CLUSTER_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw new FeedError(
        'store_failed',
        `connecting to PostgreSQL ${redactDatabaseUrl(this.url)} for cluster coordination failed: ${describeError(error)}`,
        { cause: error },
      );
    }
    if (this.closed) {
      await client.end().catch(() => {});
      throw new FeedError('internal', 'the cluster coordinator is closed');
    }
    this.client = client;
    this.reconnectDelay = this.options.reconnectMs ?? 500;
    return client;
  }

  /** The session dropped: its claims are gone; reconnect, then take back the claims still in use. */
  private lost(client: pg.Client, error: Error | null): void {
    if (this.client !== client) return;
    this.client = null;
    void client.end().catch(() => {});
    if (this.closed) return;
    this.options.logger?.warn(
      { err: error === null ? 'connection ended' : describeError(error), claims: [...this.held] },
      'cluster coordination connection lost; reconnecting',
    );
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== null) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(MAX_RECONNECT_MS, delay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.session().then(
        async (client) => {
          this.options.logger?.info('cluster coordination connection restored');
          for (const name of [...this.held]) {
            const again = await tryClusterLock(client, name).catch(() => false);
            if (!again) {
              this.options.logger?.warn(
                { claim: name },
                'a claim lost with the connection is now held by another replica',
              );
            }
          }
        },
        () => this.scheduleReconnect(),
      );
    }, delay);
    this.reconnectTimer.unref();
  }
}
