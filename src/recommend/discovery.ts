// Discovery lists besides the personal feed: the posts similar to one post (item-to-item), trending
// (recent momentum) and latest (newest first). They share the feed's paging, category filter and
// seen-post exclusion. Trending and latest are orderings computed once per opened snapshot and paged by
// walking them; the few posts that live events (newer than the snapshot) touched are lifted out of the
// trending order and merged back at their new momentum per request. Similar scores one post's item-kNN
// row plus its content neighbours per request.
import { FeedError } from '../shared/errors.js';
import { decay, interactionWeight, postColOf } from './base.js';
import { MAX_FEED_DEPTH } from './defaults.js';
import type { FeedItem } from './feed.js';
import { pageOf, resolveCategory } from './feed.js';
import type { LiveEvent } from './history.js';
import { userHistory } from './history.js';
import { type ContentState, cosine } from './models/content.js';
import type { ItemKnnState } from './models/itemknn.js';
import { neighbourValue } from './models/neighbours.js';
import type { ModelSnapshot } from './snapshot.js';
import { scoreAgainstPostings } from './text.js';
import { ranksBefore, selectTopK } from './topk.js';
import { InteractionKind } from './types.js';

export const DISCOVERY_LISTS = ['similar', 'trending', 'latest'] as const;
export type DiscoveryList = (typeof DISCOVERY_LISTS)[number];

export interface DiscoveryParams {
  /**
   * Half-life (days) of an interaction in the trending score, back from the snapshot's "now": trending
   * is what people engaged with lately, not what was ever popular (the `popular` model's 14 days).
   */
  trendingHalfLifeDays: number;
  /**
   * Weights of the two similarity signals of `similar`, both cosines in [0, 1]: item-kNN (people who
   * engaged with this post engaged with that one) and content (TF-IDF of summary, keywords, title and
   * category). Content alone still answers for a post nobody interacted with yet. On MovieLens'
   * validation split (`scripts/similar-weights.ts`) content 0.1–0.25 scores as item-kNN alone (NDCG@20
   * 0.1235–0.1242), 0.5 costs 0.007 and 1 costs 0.026 — MovieLens text is only titles and genres, so 0.25
   * leaves room for the platform's richer summaries.
   */
  similarWeights: { itemknn: number; content: number };
}

export const DEFAULT_DISCOVERY: Readonly<DiscoveryParams> = Object.freeze({
  trendingHalfLifeDays: 3,
  similarWeights: Object.freeze({ itemknn: 1, content: 0.25 }),
});

export interface DiscoveryRequest {
  list: DiscoveryList;
  /** The post whose neighbours `similar` lists (required there, ignored by the other lists). */
  postId?: number;
  /** Drops every post this user interacted with (snapshot history plus `liveEvents`). */
  userId?: number;
  /** The user's interactions received since the snapshot was built. */
  liveEvents?: readonly LiveEvent[];
  /**
   * Trending only: every user's interactions received since the snapshot was built (none of them in
   * the snapshot), whose momentum counts at once on top of the stored one.
   */
  momentumEvents?: readonly LiveEvent[];
  /** Category name (case-insensitive) or a topic's `project_code`, as for feeds. */
  category?: string;
  /** 1-based (default 1). */
  page?: number;
  /** 1..100 (default 10). */
  pageSize?: number;
  /** Add a `reason` to each item (the similarity signals, the momentum, the creation time). */
  explain?: boolean;
}

export interface DiscoveryResult {
  list: DiscoveryList;
  /** Items best first; `source` is the list's name, `score` its ranking value (latest: created_at ms). */
  items: FeedItem[];
  page: number;
  pageSize: number;
  /** Posts in the whole list for this request (after the filter and the exclusions). */
  total: number;
  /** Posts left out because the user interacted with them. */
  excluded: number;
}

/** One request's validated window and masks, which a list cuts its page with. */
interface Cut {
  /** Index of the page's first post in the list. */
  from: number;
  /** Posts of the list read at most (the page's end, bounded by MAX_FEED_DEPTH). */
  need: number;
  /** Non-zero for posts the request excludes (the user's, the similar list's own post). */
  seen: Uint8Array;
  /** Non-zero for posts inside the category filter; null without a filter. */
  inFilter: Uint8Array | null;
  /** The filter's columns (ascending), or null. */
  candidates: Int32Array | null;
}

/** The columns of one page, and what the whole list holds. */
interface Ranked {
  cols: number[];
  total: number;
  excluded: number;
}

const utc = (epochMs: number) => `${new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/**
 * The discovery lists of one opened snapshot: create it once per snapshot in each thread that serves.
 * The trending and latest orderings are computed on first use (O(interactions + posts log posts));
 * requests are then cheap and synchronous, sharing the snapshot's scratch buffers with feeds.
 * @example
 * const discovery = new Discovery(snapshot);
 * discovery.list({ list: 'similar', postId: 7, userId: 42, pageSize: 20 }).items.map((i) => i.postId);
 */
export class Discovery {
  readonly params: DiscoveryParams;
  private readonly itemknn: ItemKnnState | null;
  private readonly content: ContentState | null;
  private trending: { order: Int32Array; momentum: Float32Array } | null = null;
  private latest: Int32Array | null = null;

  constructor(
    readonly snapshot: ModelSnapshot,
    params: Partial<DiscoveryParams> = {},
  ) {
    this.params = {
      trendingHalfLifeDays: params.trendingHalfLifeDays ?? DEFAULT_DISCOVERY.trendingHalfLifeDays,
      similarWeights: { ...DEFAULT_DISCOVERY.similarWeights, ...params.similarWeights },
    };
    if (!(this.params.trendingHalfLifeDays > 0)) {
      throw new FeedError(
        'config_invalid',
        `trendingHalfLifeDays must be > 0, got ${this.params.trendingHalfLifeDays}`,
      );
    }
    const { states } = snapshot.data;
    this.itemknn = (states.itemknn as ItemKnnState | undefined) ?? null;
    this.content = (states.content as ContentState | undefined) ?? null;
  }

  /**
   * Momentum per column: Σ weight · 2^(−age/half-life) over the users who engaged with the post.
   * Computed on first use (O(interactions)), so opening a snapshot for feeds costs nothing more.
   */
  get momentum(): Float32Array {
    return this.trendingLists().momentum;
  }

  /** Posts anyone engaged with, by momentum (descending, ties by post id). */
  get trendingOrder(): Int32Array {
    return this.trendingLists().order;
  }

  /** Every post, newest first (unknown creation time last; ties: higher post id first). */
  get latestOrder(): Int32Array {
    this.latest ??= newestFirst(this.snapshot);
    return this.latest;
  }

  private trendingLists(): { order: Int32Array; momentum: Float32Array } {
    if (this.trending === null) {
      const momentum = momentumOf(this.snapshot, this.params.trendingHalfLifeDays);
      this.trending = { order: positiveByScore(momentum), momentum };
    }
    return this.trending;
  }

  /** The similarity signals this snapshot can score (`similar` needs at least one). */
  get similarSignals(): string[] {
    const w = this.params.similarWeights;
    return [
      ...(this.itemknn !== null && w.itemknn > 0 ? ['itemknn'] : []),
      ...(this.content !== null && w.content > 0 ? ['content'] : []),
    ];
  }

  /**
   * One page of a discovery list. Throws `FeedError('bad_request')` for a bad page, page size, category
   * or a `similar` request without a post, `not_found` for a post the snapshot does not hold.
   * @example discovery.list({ list: 'trending', category: 'fitness', page: 2 })
   */
  list(request: DiscoveryRequest): DiscoveryResult {
    const { list } = request;
    if (!(DISCOVERY_LISTS as readonly string[]).includes(list)) {
      throw new FeedError(
        'bad_request',
        `list must be one of ${DISCOVERY_LISTS.join(', ')}, got ${JSON.stringify(list)}`,
      );
    }
    const { page, pageSize } = pageOf(request);
    const candidates = resolveCategory(this.snapshot, request.category);
    const source = list === 'similar' ? this.sourceColumn(request.postId) : -1;
    const { base, scratch } = this.snapshot;
    const { seen, used } = scratch;
    // The user's posts (and the post itself) go into the seen mask, the category's posts into `used`;
    // both are cleared before returning, as the feed does with the same buffers.
    const marked: number[] = source >= 0 ? [source] : [];
    if (request.userId !== undefined || request.liveEvents !== undefined) {
      const history = userHistory(base, request.userId, request.liveEvents);
      for (let h = 0; h < history.length; h++) marked.push(history.cols[h]!);
    }
    for (const c of marked) seen[c] = 1;
    if (candidates !== null) for (const c of candidates) used[c] = 1;
    try {
      const cut: Cut = {
        from: (page - 1) * pageSize,
        need: Math.min(page * pageSize, MAX_FEED_DEPTH),
        seen,
        inFilter: candidates === null ? null : used,
        candidates,
      };
      const live = list === 'trending' ? this.liveMomentum(request.momentumEvents) : null;
      const ranked =
        list === 'similar'
          ? this.similarPage(source, cut)
          : list === 'trending'
            ? this.walk(this.trendingOrder, cut, live)
            : this.walk(this.latestOrder, cut);
      const items = ranked.cols.map((col) => {
        const score = live?.get(col) ?? this.scoreOf(list, col);
        const item: FeedItem = { postId: base.postIds[col]!, score, source: list };
        if (request.explain === true) {
          item.reason =
            list === 'trending' ? this.trendingReason(col, score) : this.reasonOf(list, source, col);
        }
        return item;
      });
      return { list, items, page, pageSize, total: ranked.total, excluded: ranked.excluded };
    } finally {
      for (const c of marked) seen[c] = 0;
      if (candidates !== null) for (const c of candidates) used[c] = 0;
    }
  }

  /** The column of the post `similar` starts from, or the error for a missing or unknown one. */
  private sourceColumn(postId: number | undefined): number {
    if (postId === undefined) throw new FeedError('bad_request', 'the similar list needs a post id');
    const col = postColOf(this.snapshot.base, postId);
    if (col < 0) {
      throw new FeedError('not_found', `no post ${postId} in the catalogue the model was built from`);
    }
    if (this.similarSignals.length === 0) {
      throw new FeedError(
        'model_unavailable',
        'similar posts need the itemknn or content model, and this snapshot has neither',
      );
    }
    return col;
  }

  /**
   * Momentum per column of the posts `events` touch: the stored momentum plus each event's kind weight,
   * decayed as the build decays it (the model's half-life, then trending's) from its time back to the
   * snapshot's "now" — live events are newer, so they mostly count in full. Null without events.
   */
  liveMomentum(events: readonly LiveEvent[] | undefined): Map<number, number> | null {
    if (events === undefined || events.length === 0) return null;
    const { base } = this.snapshot;
    const stored = this.momentum;
    const out = new Map<number, number>();
    for (const e of events) {
      const col = postColOf(base, e.postId);
      if (col < 0) continue; // a post synced after the build: not in this snapshot's lists
      const age = base.now - (e.at ?? base.now);
      const w =
        interactionWeight(base.weights, InteractionKind[e.kind], e.ratingPercent ?? Number.NaN) *
        decay(age, base.halfLifeDays) *
        decay(age, this.params.trendingHalfLifeDays);
      out.set(col, (out.get(col) ?? stored[col]!) + w);
    }
    return out;
  }

  /**
   * A page cut from a precomputed order, skipping seen posts and those outside the filter. With `live`
   * (trending's momentum of the posts live events touched), those posts leave their stored place and
   * are merged back in at their new momentum: O(order + live log live), no re-sort of the whole list.
   */
  private walk(order: Int32Array, cut: Cut, live: ReadonlyMap<number, number> | null = null): Ranked {
    const { from, need, seen, inFilter } = cut;
    const cols: number[] = [];
    let total = 0;
    let excluded = 0;
    const take = (col: number) => {
      if (inFilter !== null && inFilter[col] === 0) return;
      if (seen[col] !== 0) {
        excluded++;
        return;
      }
      if (total >= from && total < need) cols.push(col);
      total++;
    };
    if (live === null) {
      for (let i = 0; i < order.length; i++) take(order[i]!);
      return { cols, total, excluded };
    }
    const stored = this.momentum;
    const moved = [...live.keys()].filter((c) => live.get(c)! > 0);
    moved.sort((a, b) => (ranksBefore(live.get(a)!, a, live.get(b)!, b) ? -1 : 1));
    let m = 0;
    for (let i = 0; i < order.length; i++) {
      const col = order[i]!;
      if (live.has(col)) continue;
      while (m < moved.length && ranksBefore(live.get(moved[m]!)!, moved[m]!, stored[col]!, col)) {
        take(moved[m++]!);
      }
      take(col);
    }
    while (m < moved.length) take(moved[m++]!);
    return { cols, total, excluded };
  }

  /**
   * The neighbours of column `source`: Σ signal weight · cosine over item-kNN and content, into the
   * snapshot's score buffer (valid until the next request), best first (ties by post id).
   */
  private similarPage(source: number, cut: Cut): Ranked {
    const { base, scratch } = this.snapshot;
    const { scores } = scratch;
    scores.fill(0);
    const w = this.params.similarWeights;
    if (this.itemknn !== null && w.itemknn > 0) {
      const s = this.itemknn.similarity;
      for (let k = s.indptr[source]!; k < s.indptr[source + 1]!; k++) {
        scores[s.indices[k]!]! += w.itemknn * s.values[k]!;
      }
    }
    if (this.content !== null && w.content > 0) {
      const { docs, postings } = this.content;
      const start = docs.indptr[source]!;
      const end = docs.indptr[source + 1]!;
      const weights = Float32Array.from(docs.values.subarray(start, end), (v) => v * w.content);
      scoreAgainstPostings(postings, docs.indices.subarray(start, end), weights, end - start, scores);
    }
    // The list holds the posts with some similarity; counting it costs one pass over the catalogue.
    const { seen, inFilter } = cut;
    let total = 0;
    let excluded = 0;
    for (let c = 0; c < base.nPosts; c++) {
      if (!(scores[c]! > 0) || c === source || (inFilter !== null && inFilter[c] === 0)) continue;
      if (seen[c] !== 0) excluded++;
      else total++;
    }
    const need = Math.min(cut.need, total);
    const cols: number[] = [];
    if (cut.from < need) {
      const buf = new Int32Array(need);
      const n = selectTopK(scores, need, seen, cut.candidates, buf);
      for (let i = cut.from; i < n; i++) cols.push(buf[i]!);
    }
    return { cols, total, excluded };
  }

  private scoreOf(list: DiscoveryList, col: number): number {
    if (list === 'similar') return this.snapshot.scratch.scores[col]!;
    if (list === 'trending') return this.momentum[col]!;
    return createdMs(this.snapshot, col);
  }

  private reasonOf(list: DiscoveryList, source: number, col: number): string {
    if (list === 'similar') return this.similarReason(source, col);
    if (list === 'trending') return this.trendingReason(col);
    return this.latestReason(col);
  }

  private similarReason(source: number, col: number): string {
    const parts: string[] = [];
    if (this.itemknn !== null && this.params.similarWeights.itemknn > 0) {
      parts.push(`item-kNN cosine ${neighbourValue(this.itemknn.similarity, source, col).toFixed(3)}`);
    }
    if (this.content !== null && this.params.similarWeights.content > 0) {
      parts.push(`content cosine ${cosine(this.content.docs, source, col).toFixed(3)}`);
    }
    return `similar: ${parts.join(', ')}`;
  }

  private trendingReason(col: number, momentum = this.momentum[col]!): string {
    return `trending: momentum ${momentum.toFixed(2)} (interaction weight, ${this.params.trendingHalfLifeDays}-day half-life)`;
  }

  private latestReason(col: number): string {
    const ms = createdMs(this.snapshot, col);
    return Number.isNaN(ms) ? 'latest: creation time unknown' : `latest: created ${utc(ms)}`;
  }
}

/** Creation time of a column in epoch milliseconds (NaN when unknown). */
function createdMs(snapshot: ModelSnapshot, col: number): number {
  return snapshot.base.postCreatedAt[col]! * 1000;
}

/**
 * Momentum per post: each user who engaged with it counts their (kind-weighted) interaction weight,
 * decayed from their latest interaction with it back to the snapshot's "now".
 */
function momentumOf(snapshot: ModelSnapshot, halfLifeDays: number): Float32Array {
  const { base } = snapshot;
  const iu = base.itemUsers;
  const lastAt = base.userItems.lastAt;
  const out = new Float32Array(base.nPosts);
  for (let c = 0; c < base.nPosts; c++) {
    let s = 0;
    for (let k = iu.indptr[c]!; k < iu.indptr[c + 1]!; k++) {
      s += iu.values[k]! * decay(base.now - lastAt[iu.origin[k]!]!, halfLifeDays);
    }
    out[c] = s;
  }
  return out;
}

/** Columns with a positive score, by score descending (ties by column: selectTopK's order). */
function positiveByScore(scores: Float32Array): Int32Array {
  const positive: number[] = [];
  for (let c = 0; c < scores.length; c++) if (scores[c]! > 0) positive.push(c);
  const out = new Int32Array(positive.length);
  selectTopK(scores, positive.length, null, Int32Array.from(positive), out);
  return out;
}

/** Every column, newest first; unknown creation times last; ties by column descending (newer ids). */
function newestFirst(snapshot: ModelSnapshot): Int32Array {
  const created = snapshot.base.postCreatedAt;
  const key = (c: number) => (Number.isNaN(created[c]!) ? Number.NEGATIVE_INFINITY : created[c]!);
  const order = Int32Array.from({ length: snapshot.base.nPosts }, (_, c) => c);
  return order.sort((a, b) => key(b) - key(a) || b - a);
}
