// LISTEN on a PostgreSQL channel over one connection of its own, reconnecting by itself: how a process
// hears at once of rows other processes commit (NOTIFY is delivered when their transaction commits).
// Notifications sent while the connection was down are lost, so `onListening` after every
// (re)connection tells the caller to catch up from the table itself.
import pg from 'pg';
import { describeError } from '../../shared/errors.js';

export interface ListenOptions {
  /**
   * The channel, resolved on the listening connection (e.g. from its `current_schema()`); quoted as an
   * identifier, so any name up to 63 bytes works.
   */
  channel: (client: pg.ClientBase) => Promise<string>;
  /** Each notification's payload. */
  onNotification: (payload: string | undefined) => void;
  /** LISTEN is in force (after the first connection and after every reconnection). */
  onListening?: () => void;
  /** The connection failed or dropped; it is retried after a delay. */
  onDisconnected?: (error: string) => void;
  /** First retry delay; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface ChannelListener {
  /** Whether LISTEN is in force right now. */
  readonly listening: boolean;
  /** Stops listening and releases the connection. */
  close(): Promise<void>;
}

/**
 * Listens on a channel from a connection of `pool` kept for it (one pool slot).
 * @example
 * const listener = listenOnChannel(store.pool, {
 *   channel: async () => 'feed_event',
 *   onNotification: () => follower.wake(),
 *   onListening: () => follower.wake(),
 * });
 */
export function listenOnChannel(pool: pg.Pool, options: ListenOptions): ChannelListener {
  const { retryMs = 200, maxRetryMs = 5000 } = options;
  let client: pg.PoolClient | null = null;
  let listening = false;
  let closed = false;
  let delay = retryMs;
  let timer: NodeJS.Timeout | null = null;

  const dropped = (connection: pg.PoolClient, error: unknown) => {
    if (client !== connection) return;
    client = null;
    listening = false;
    // A broken connection is destroyed, not returned to the pool.
    connection.release(error instanceof Error ? error : new Error(describeError(error)));
    if (closed) return;
    options.onDisconnected?.(describeError(error));
    retry();
  };

  const retry = () => {
    if (closed || timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, maxRetryMs);
  };

  const connect = async () => {
    let connection: pg.PoolClient;
    try {
      connection = await pool.connect();
    } catch (error) {
      if (closed) return;
      options.onDisconnected?.(describeError(error));
      retry();
      return;
    }
    if (closed) {
      connection.release();
      return;
    }
    client = connection;
    connection.on('error', (error) => dropped(connection, error));
    connection.on('end', () => dropped(connection, new Error('the listening connection ended')));
    connection.on('notification', (message) => options.onNotification(message.payload));
    try {
      const channel = await options.channel(connection);
      await connection.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      dropped(connection, error);
      return;
    }
    if (closed || client !== connection) return;
    listening = true;
    delay = retryMs;
    options.onListening?.();
  };

  void connect();
  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      const connection = client;
      client = null;
      listening = false;
      // Destroyed rather than returned: the session ends with its LISTEN, and no UNLISTEN can hang on a
      // database that no longer answers.
      connection?.release(true);
    },
  };
}
