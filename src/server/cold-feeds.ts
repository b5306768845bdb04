// Feeds of users without history, computed once per snapshot: a feed depends only on the user's history
// (and the snapshot), so every cold user asking the same page gets the same popular-and-fresh list.
import {
  type FeedRequest,
  type FeedResult,
  type ModelSnapshot,
  recommendFeed,
  userRowOf,
} from '../recommend/index.js';

export interface ColdFeedsOptions {
  /** Distinct cold requests (category, page, size, model, explain) kept before the cache starts over. */
  maxEntries?: number;
}

/** `recommendFeed` over one snapshot, answering cold users' repeated requests from a cache. */
export class ColdFeeds {
  private readonly cache = new Map<string, FeedResult>();
  private readonly maxEntries: number;
  hits = 0;

  constructor(
    readonly snapshot: ModelSnapshot,
    { maxEntries = 10_000 }: ColdFeedsOptions = {},
  ) {
    this.maxEntries = maxEntries;
  }

  /**
   * The feed for `request`; the same as `recommendFeed(snapshot, request)`.
   * @example new ColdFeeds(snapshot).feed({ userId: 987654321, pageSize: 20 })
   */
  feed(request: FeedRequest): FeedResult {
    const key = this.coldKey(request);
    if (key === null) return recommendFeed(this.snapshot, request);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.hits++;
      return cached;
    }
    const result = recommendFeed(this.snapshot, request);
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(key, result);
    return result;
  }

  /** The cache key of a cold user's request, or null when the user has history or live events. */
  private coldKey(request: FeedRequest): string | null {
    if (request.liveEvents !== undefined && request.liveEvents.length > 0) return null;
    const base = this.snapshot.base;
    const row = request.userId === undefined ? -1 : userRowOf(base, request.userId);
    if (row >= 0 && base.userItems.indptr[row + 1] !== base.userItems.indptr[row]) return null;
    const { category = '', page = 1, pageSize = 0, model = '', explain = false, compose = true } = request;
    const options = request.composeOptions ?? null;
    return JSON.stringify([category.trim().toLowerCase(), page, pageSize, model, explain, compose, options]);
  }
}
