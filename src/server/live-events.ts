// The live-events overlay: interactions received through POST /events since the snapshot in force was
// built, per user, handed to the recommender with each of that user's feed requests so they count at once.
import type { LiveEvent } from '../recommend/index.js';

/** A live event and the FeedEvent id it was stored under (to drop it once a snapshot includes it). */
export interface OverlayEvent extends LiveEvent {
  readonly eventId: number;
}

export interface LiveEventsOptions {
  /** Events kept per user (the newest); older ones wait for the next build, which reads them all. */
  maxPerUser?: number;
}

/** Per-user live events, oldest first. */
export class LiveEvents {
  private readonly byUser = new Map<number, OverlayEvent[]>();
  private total = 0;
  /** Every held event (trending's live momentum), built on demand and dropped by any change. */
  private everyone: readonly LiveEvent[] | null = null;
  private readonly maxPerUser: number;

  constructor({ maxPerUser = 1000 }: LiveEventsOptions = {}) {
    this.maxPerUser = maxPerUser;
  }

  /** Events held, over all users. */
  get size(): number {
    return this.total;
  }

  /** Adds an event; one already held (same FeedEvent id) is not added twice. */
  add(userId: number, event: OverlayEvent): void {
    let list = this.byUser.get(userId);
    if (list === undefined) this.byUser.set(userId, (list = []));
    if (list.some((e) => e.eventId === event.eventId)) return;
    list.push(event);
    this.total++;
    this.everyone = null;
    if (list.length > this.maxPerUser) {
      list.shift();
      this.total--;
    }
  }

  /** The user's live events, or undefined when there are none. */
  forUser(userId: number | undefined): readonly OverlayEvent[] | undefined {
    return userId === undefined ? undefined : this.byUser.get(userId);
  }

  /**
   * Every user's held events (post, kind, time, rating only), for trending's live momentum. Cached until
   * the next add or prune, so a burst of trending requests between events pays the copy once.
   */
  all(): readonly LiveEvent[] {
    if (this.everyone === null) {
      const out: LiveEvent[] = [];
      for (const list of this.byUser.values()) {
        for (const { postId, kind, at, ratingPercent } of list) {
          const e: LiveEvent = { postId, kind };
          if (at !== undefined) e.at = at;
          if (ratingPercent !== undefined) e.ratingPercent = ratingPercent;
          out.push(e);
        }
      }
      this.everyone = out;
    }
    return this.everyone;
  }

  /** Drops the events a new snapshot already holds: those stored with an id up to `watermark`. */
  prune(watermark: number): void {
    this.everyone = null;
    for (const [userId, list] of this.byUser) {
      const kept = list.filter((e) => e.eventId > watermark);
      this.total -= list.length - kept.length;
      if (kept.length === 0) this.byUser.delete(userId);
      else this.byUser.set(userId, kept);
    }
  }
}
