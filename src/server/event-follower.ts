// Follows the FeedEvent table so every serve process applies the events any process stored: it reads
// rows by id (above the highest one read) into the live overlay, woken by NOTIFY on PostgreSQL and by a
// short poll everywhere (SQLite, a dropped listening connection, a missed notification).
//
// PostgreSQL hands out ids before commit, so a lower id can become visible after a higher one. An id
// skipped over is a *gap*: it is asked for again on every read for `gapGraceMs`, then taken as rolled
// back. The overlay dedupes by id, so reading a row twice never applies it twice.
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { FEED_EVENT_CHANNEL_SQL, type FeedEventRow, toFeedEventRow } from '../store/feed-events.js';
import { type ChannelListener, listenOnChannel } from '../store/postgres/listen.js';
import { PostgresStore } from '../store/postgres/store.js';
import { upstreamTimeToSeconds } from '../store/training-data.js';
import type { Store } from '../store/types.js';
import type { LiveEvents } from './live-events.js';

export interface EventFollowerOptions {
  store: Store;
  live: LiveEvents;
  /** Poll period while no LISTEN connection is in force (SQLite always). */
  pollMs?: number;
  /** Poll period while LISTEN is in force: a safety net for gaps and lost notifications. */
  listeningPollMs?: number;
  /** How long an id skipped over is asked for again before it counts as rolled back. */
  gapGraceMs?: number;
  /** Rows per query. */
  batchSize?: number;
  /** Listen for NOTIFY on PostgreSQL (default true). */
  listen?: boolean;
  logger?: Logger;
}

/** What `/ready` shows of the follower. */
export interface EventFollowerStatus {
  /** The last read succeeded (or none has run yet). */
  ok: boolean;
  /** On PostgreSQL: whether LISTEN is in force; null on SQLite (polling only). */
  listening: boolean | null;
  /** The highest FeedEvent id read (the snapshot's watermark before any). */
  lastEventId: number;
  /** Ids skipped over that are still asked for. */
  pendingGaps: number;
  error: string | null;
}

/** Ids asked for per `IN (…)` query, and the most gaps tracked at once. */
const GAP_QUERY_SIZE = 500;
const MAX_GAPS = 10_000;

/**
 * Keeps `live` in step with the FeedEvent table. Start it with `rebase(watermark)` when a snapshot is
 * installed: events up to the watermark are in the snapshot, the rest are read into the overlay.
 * @example
 * const follower = new EventFollower({ store, live });
 * holder.onSwap((info) => { live.prune(info.feedEventWatermark); follower.rebase(info.feedEventWatermark); });
 */
export class EventFollower {
  private readonly store: Store;
  private readonly live: LiveEvents;
  private readonly pollMs: number;
  private readonly listeningPollMs: number;
  private readonly gapGraceMs: number;
  private readonly batchSize: number;
  private readonly logger: Logger | undefined;
  private listener: ChannelListener | null = null;
  private readonly listens: boolean;

  /** Events up to this id belong to the snapshot in force: never added to the overlay. */
  private floor = 0;
  /** The highest id read (or skipped to by a rebase). */
  private highest = 0;
  /** Ids skipped over → when first missed (ms). */
  private readonly gaps = new Map<number, number>();
  /** A snapshot with a lower watermark than the last: ids above it up to this are read again. */
  private rescanUpTo: number | null = null;
  private started = false;
  private closed = false;
  private reading: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private lastError: string | null = null;

  constructor({
    store,
    live,
    pollMs = 250,
    listeningPollMs = 2000,
    gapGraceMs = 30_000,
    batchSize = 1000,
    listen = true,
    logger,
  }: EventFollowerOptions) {
    this.store = store;
    this.live = live;
    this.pollMs = pollMs;
    this.listeningPollMs = listeningPollMs;
    this.gapGraceMs = gapGraceMs;
    this.batchSize = batchSize;
    this.logger = logger;
    this.listens = listen && store instanceof PostgresStore;
  }

  get status(): EventFollowerStatus {
    return {
      ok: this.lastError === null,
      listening: this.listens ? (this.listener?.listening ?? false) : null,
      lastEventId: this.highest,
      pendingGaps: this.gaps.size,
      error: this.lastError,
    };
  }

  /**
   * A snapshot with FeedEvent watermark `watermark` is in force (call it right after `live.prune`).
   * The first call starts following.
   */
  rebase(watermark: number): void {
    if (this.closed) return;
    if (watermark < this.floor) {
      // An older snapshot: what was pruned above its watermark is read back.
      this.rescanUpTo = Math.max(this.rescanUpTo ?? 0, this.floor);
    }
    this.floor = watermark;
    if (watermark > this.highest) this.highest = watermark;
    for (const id of this.gaps.keys()) if (id <= watermark) this.gaps.delete(id);
    if (!this.started) this.start();
    this.wake();
  }

  /** Reads now (coalesced with a read in progress). Resolves when the rows committed so far are applied. */
  wake(): Promise<void> {
    if (!this.started || this.closed) return Promise.resolve();
    if (this.reading !== null) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.readLoop().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.listener?.close();
    this.listener = null;
    await this.reading?.catch(() => {});
  }

  private start(): void {
    this.started = true;
    if (this.listens) {
      const pool = (this.store as PostgresStore).pool;
      this.listener = listenOnChannel(pool, {
        channel: async (client) => {
          const { rows } = await client.query<{ channel: string }>(
            `SELECT ${FEED_EVENT_CHANNEL_SQL.compile(this.store.db).sql} AS channel`,
          );
          return rows[0]!.channel;
        },
        onNotification: () => void this.wake(),
        // Notifications sent while the connection was down are lost: read what they announced.
        onListening: () => void this.wake(),
        onDisconnected: (error) =>
          this.logger?.warn({ err: error }, 'feed-event listener disconnected; polling until it is back'),
      });
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    const period = this.listener?.listening ? this.listeningPollMs : this.pollMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.wake().finally(() => this.schedule());
    }, period);
    this.timer.unref();
  }

  private async readLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.readOnce();
        if (this.lastError !== null) this.logger?.info('feed-event catch-up works again');
        this.lastError = null;
      } catch (error) {
        const message = describeError(error);
        if (this.lastError === null)
          this.logger?.warn({ err: message }, 'feed-event catch-up failed; retrying');
        this.lastError = message;
        return;
      }
    } while (this.again && !this.closed);
  }

  private async readOnce(): Promise<void> {
    if (this.rescanUpTo !== null) {
      const upTo = this.rescanUpTo;
      await this.readRange(this.floor, upTo);
      if (this.rescanUpTo === upTo) this.rescanUpTo = null;
    }
    for (;;) {
      const after = this.highest;
      const rows = await this.selectRows((q) =>
        q.where('id', '>', after).orderBy('id').limit(this.batchSize),
      );
      this.applyNew(rows, after);
      if (rows.length < this.batchSize || this.closed) break;
    }
    await this.readGaps();
  }

  /** Applies rows above `after` (ascending) and records the ids skipped between them as gaps. */
  private applyNew(rows: readonly FeedEventRow[], after: number): void {
    const now = Date.now();
    let previous = Math.max(after, this.highest);
    for (const row of rows) {
      if (row.id <= previous) {
        // Another read (a rebase meanwhile) already moved past it; the overlay dedupes.
        this.apply(row);
        continue;
      }
      for (let id = Math.max(previous + 1, row.id - MAX_GAPS); id < row.id; id++) this.gaps.set(id, now);
      previous = row.id;
      this.highest = row.id;
      this.apply(row);
    }
    if (this.gaps.size > MAX_GAPS) {
      let drop = this.gaps.size - MAX_GAPS;
      for (const id of this.gaps.keys()) {
        if (drop-- <= 0) break;
        this.gaps.delete(id);
      }
      this.logger?.warn(
        { tracked: MAX_GAPS },
        'too many FeedEvent ids skipped over; the oldest are given up',
      );
    }
  }

  /** Asks again for ids skipped over; those older than the grace period count as rolled back. */
  private async readGaps(): Promise<void> {
    if (this.gaps.size === 0) return;
    const expired = Date.now() - this.gapGraceMs;
    for (const [id, since] of this.gaps) if (since <= expired) this.gaps.delete(id);
    const ids = [...this.gaps.keys()];
    for (let i = 0; i < ids.length; i += GAP_QUERY_SIZE) {
      const chunk = ids.slice(i, i + GAP_QUERY_SIZE);
      const rows = await this.selectRows((q) => q.where('id', 'in', chunk));
      for (const row of rows) {
        this.gaps.delete(row.id);
        this.apply(row);
      }
    }
  }

  private async readRange(after: number, upTo: number): Promise<void> {
    let from = after;
    for (;;) {
      const start = from;
      const rows = await this.selectRows((q) =>
        q.where('id', '>', start).where('id', '<=', upTo).orderBy('id').limit(this.batchSize),
      );
      for (const row of rows) this.apply(row);
      if (rows.length < this.batchSize) return;
      from = rows[rows.length - 1]!.id;
    }
  }

  private async selectRows(refine: (q: FeedEventSelect) => FeedEventSelect): Promise<FeedEventRow[]> {
    const rows = await refine(selectFeedEvents(this.store)).execute();
    return rows.map(toFeedEventRow);
  }

  private apply(row: FeedEventRow): void {
    if (row.id <= this.floor) return;
    this.live.add(row.user_id, {
      eventId: row.id,
      postId: row.post_id,
      kind: row.type,
      at: upstreamTimeToSeconds(row.created_at),
      ...(row.rating_percent === null ? {} : { ratingPercent: row.rating_percent }),
    });
  }
}

const selectFeedEvents = (store: Store) => store.db.selectFrom('FeedEvent').selectAll();
type FeedEventSelect = ReturnType<typeof selectFeedEvents>;
