// Feed composition: score with the chosen model, drop seen posts, filter by category, then build a
// deterministic, pagination-stable list (bounded runs of one category or creator, reserved fresh slots)
// and cut the requested page out of it.

import { FeedError } from '../shared/errors.js';
import { filterColumns, indexIn, postColOf, userRowOf } from './base.js';
import type { ColumnIndices } from './csr.js';
import {
  type ComposeParams,
  DEFAULT_MODEL,
  DEFAULT_PAGE_SIZE,
  MAX_FEED_DEPTH,
  MAX_PAGE_SIZE,
} from './defaults.js';
import type { LiveEvent, UserHistory } from './history.js';
import { userHistory } from './history.js';
import { type HybridParams, hybridContributions } from './models/hybrid.js';
import type { CandidateScores, Recommender } from './models/recommender.js';
import type { PrecomputedRankings } from './precomputed.js';
import type { ComponentName, ModelName } from './registry.js';
import type { ModelSnapshot } from './snapshot.js';
import { ranksBefore, selectTopK } from './topk.js';

export interface FeedRequest {
  /** Platform user id; absent or unknown → a cold-start feed. */
  userId?: number;
  /** Category name (case-insensitive) or a topic's `project_code`. */
  category?: string;
  /** 1-based (default 1). */
  page?: number;
  /** 1..100 (default 10). */
  pageSize?: number;
  /** Default `hybrid`; any selectable model the snapshot has built. */
  model?: ModelName | (string & {});
  /** Add a `reason` to each item (which model and signal put it there). */
  explain?: boolean;
  /** Interactions received since the snapshot was built: excluded at once and shifting the scores. */
  liveEvents?: readonly LiveEvent[];
  /** Apply the composition rules (run bounds, fresh slots); false gives the model's raw ranking. Default true. */
  compose?: boolean;
  /**
   * Composition rules to use instead of the snapshot's, option by option (an A/B arm's overrides; checked
   * when the experiment is configured). Ignored when `compose` is false.
   */
  composeOptions?: Readonly<Partial<ComposeParams>>;
}

/** The composition rules in force for `request`: the snapshot's, with the request's overrides on top. */
function composeParamsOf(snapshot: ModelSnapshot, request: FeedRequest): ComposeParams {
  const own = snapshot.options.compose;
  return request.composeOptions === undefined ? own : { ...own, ...request.composeOptions };
}

export type FeedSource = ModelName | ComponentName | 'fresh' | (string & {});

export interface FeedItem {
  postId: number;
  score: number;
  /** What put the item here: the model, `popular` for a fallback, `fresh` for a reserved fresh slot. */
  source: FeedSource;
  reason?: string;
}

export interface FeedResult {
  items: FeedItem[];
  /** The model whose scores ranked the feed (`popular` when the requested one had nothing to say). */
  model: string;
  /** The user has no history (unknown or brand new): a popular-and-fresh feed. */
  cold: boolean;
  /** The requested model could not score this user and `popular` stood in. */
  fallback: boolean;
  /** Number of interactions the feed was personalised from (snapshot + live). */
  historyLength: number;
  page: number;
  pageSize: number;
  /** Posts the feed could ever show this user under this filter (unseen ones). */
  total: number;
}

/** Columns matching a category filter, or null for no filter; throws for an unknown value. */
export function resolveCategory(snapshot: ModelSnapshot, category: string | undefined): Int32Array | null {
  if (category === undefined || category.trim() === '') return null;
  const cols = filterColumns(snapshot.base, category);
  if (!cols) {
    throw new FeedError(
      'bad_request',
      `category '${category}' matches no category name or topic project_code in the catalogue ` +
        `(accepted, case-insensitive: e.g. ${snapshot.base.categoryNames.slice(0, 5).join(', ') || 'none known'})`,
    );
  }
  return cols;
}

function resolveModel(snapshot: ModelSnapshot, model: string | undefined): Recommender {
  const name = model ?? DEFAULT_MODEL;
  if (!snapshot.modelNames.includes(name)) {
    throw new FeedError(
      'bad_request',
      `model must be one of ${snapshot.modelNames.join(', ')}, got '${String(name)}'`,
    );
  }
  const rec = snapshot.models.get(name);
  if (!rec) {
    throw new FeedError(
      'bad_request',
      `model '${name}' is not built in this snapshot; built: ${[...snapshot.models.keys()].join(', ')}`,
    );
  }
  return rec;
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new FeedError('bad_request', `${name} must be an integer ${min}..${max}, got ${value}`);
  }
}

/** Scores, seen-mask and candidates for one request; the caller must `release()` the masks. */
interface Scored {
  history: UserHistory;
  recommender: Recommender;
  model: string;
  fallback: boolean;
  /** The category filter's columns (ascending), or null. */
  candidates: Int32Array | null;
  /** Set when the model scored in two stages: its candidates are `snapshot.scratch.cands[0..count)`. */
  twoStage: CandidateScores | null;
  total: number;
  release(): void;
}

function score(
  snapshot: ModelSnapshot,
  userId: number | undefined,
  model: string | undefined,
  category: string | undefined,
  liveEvents: readonly LiveEvent[] | undefined,
  fallback: boolean,
): Scored | null {
  const recommender = resolveModel(snapshot, model);
  const candidates = resolveCategory(snapshot, category);
  const history = userHistory(snapshot.base, userId, liveEvents);
  const { scores, seen, cands, candMark } = snapshot.scratch;
  let used = recommender;
  let usedName = recommender.name;
  let fellBack = false;
  let twoStage: CandidateScores | null = null;
  const scored = recommender.scoreCandidates
    ? (twoStage = recommender.scoreCandidates(history, scores, cands, candMark)) !== null
    : recommender.scoreUser(history, scores);
  if (!scored) {
    if (!fallback) return null;
    used = snapshot.popular;
    usedName = 'popular';
    fellBack = true;
    used.scoreUser(history, scores);
  }
  // History entries are distinct posts: mark each and count those inside the filter.
  let seenInCandidates = 0;
  for (let h = 0; h < history.length; h++) {
    const c = history.cols[h]!;
    seen[c] = 1;
    if (!candidates || indexIn(candidates, c) >= 0) seenInCandidates++;
  }
  const total = (candidates ? candidates.length : snapshot.base.nPosts) - seenInCandidates;
  return {
    history,
    recommender: used,
    model: usedName,
    fallback: fellBack,
    candidates,
    twoStage,
    total,
    release() {
      for (let h = 0; h < history.length; h++) seen[history.cols[h]!] = 0;
      if (twoStage) for (let t = 0; t < twoStage.count; t++) candMark[cands[t]!] = 0;
    },
  };
}

/**
 * The request's ranking as a stream, best first (score desc, post id asc), unseen and inside `filter`
 * (the category's columns by default; ascending):
 * a top-k scan of the dense scores, or for a two-stage model the merge of its scored candidates with
 * the rest of the catalogue in the rest scores' order, which is the same ranking.
 */
function rankingOf(
  snapshot: ModelSnapshot,
  s: Scored,
  depth: number,
  filter: Int32Array | null = s.candidates,
): ColumnStream {
  const { scores, seen, cands, candMark } = snapshot.scratch;
  if (!s.twoStage) return new RankedStream(scores, seen, filter, depth);
  const { count, rest } = s.twoStage;
  if (!filter) {
    const best = new RankedStream(scores, seen, cands.subarray(0, count), depth);
    return new MergedStream(best, new RestStream(rest, seen, candMark, depth));
  }
  // One pass over the filter splits it by the candidate marks: O(filter), where testing each candidate's
  // membership by binary search cost O(candidates × log filter) — per request, for the fresh slots too.
  const scored = new Int32Array(filter.length);
  const unscored = new Int32Array(filter.length);
  let nScored = 0;
  let nUnscored = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i]!;
    if (candMark[c] !== 0) scored[nScored++] = c;
    else unscored[nUnscored++] = c;
  }
  const best = new RankedStream(scores, seen, scored.subarray(0, nScored), depth);
  const others = rest
    ? new RankedStream(rest.scores, seen, unscored.subarray(0, nUnscored), depth)
    : new ListStream(unscored.subarray(0, nUnscored), null, seen);
  return new MergedStream(best, others);
}

/** The first `k` columns of a stream into `cols` (and their scores into `scoresOut`); returns how many. */
function drawTop(stream: ColumnStream, k: number, cols: ColumnIndices, scoresOut?: Float32Array): number {
  let n = 0;
  while (n < k) {
    const c = stream.next();
    if (c < 0) break;
    cols[n] = c;
    if (scoresOut) scoresOut[n] = stream.lastScore;
    n++;
  }
  return n;
}

/** Columns of one ranking, best first; `lastScore` is the score of the column `next()` returned last. */
interface ColumnStream {
  next(): number;
  readonly lastScore: number;
}

/**
 * Columns of one ranking in order (score desc, post id asc), produced lazily from a top-k buffer. Sized
 * right (see `compose`), one top-k scan serves the whole request; should a stream run past it anyway, the
 * buffer doubles and is rescanned, which never changes the order already handed out (the top k of a larger
 * k starts with the top k of a smaller one).
 */
class RankedStream implements ColumnStream {
  lastScore = 0;
  private buf = new Int32Array(0);
  private n = 0;
  private pos = 0;
  private k: number;

  constructor(
    private readonly scores: Float32Array,
    private readonly seen: Uint8Array,
    private readonly candidates: Int32Array | null,
    initial: number,
  ) {
    this.k = Math.max(16, initial);
  }

  /** The next column, or −1 when every candidate has been handed out. */
  next(): number {
    if (this.pos === this.n) {
      if (this.n < this.buf.length) return -1;
      if (this.buf.length > 0) this.k *= 2;
      this.buf = new Int32Array(this.k);
      this.n = selectTopK(this.scores, this.k, this.seen, this.candidates, this.buf);
      if (this.pos >= this.n) return -1;
    }
    const col = this.buf[this.pos++]!;
    this.lastScore = this.scores[col]!;
    return col;
  }
}

/**
 * Every column a two-stage model did not list, unseen, in the rest scores' order (read from its cached
 * ranking, grown by doubling), or in column order when the rest all score 0.
 */
class RestStream implements ColumnStream {
  lastScore = 0;
  private order: Int32Array | null = null;
  private pos = 0;

  constructor(
    private readonly rest: CandidateScores['rest'],
    private readonly seen: Uint8Array,
    private readonly listed: Uint8Array,
    private depth: number,
  ) {}

  next(): number {
    const { rest, seen, listed } = this;
    const n = seen.length;
    for (;;) {
      let col: number;
      if (rest === null) {
        if (this.pos >= n) return -1;
        col = this.pos++;
      } else {
        if (this.order === null || this.pos >= this.order.length) {
          if (this.order !== null && this.order.length >= n) return -1;
          if (this.order !== null) this.depth = 2 * this.order.length;
          this.order = rest.top(Math.max(this.depth, this.pos + 1));
          if (this.pos >= this.order.length) return -1;
        }
        col = this.order[this.pos++]!;
      }
      if (seen[col] !== 0 || listed[col] !== 0) continue;
      this.lastScore = rest === null ? 0 : rest.scores[col]!;
      return col;
    }
  }
}

/** Two disjoint rankings merged into one: score descending, ties by column, NaN last (selectTopK's order). */
class MergedStream implements ColumnStream {
  lastScore = 0;
  private headA: number;
  private scoreA = 0;
  private headB: number;
  private scoreB = 0;

  constructor(
    private readonly a: ColumnStream,
    private readonly b: ColumnStream,
  ) {
    this.headA = a.next();
    this.scoreA = a.lastScore;
    this.headB = b.next();
    this.scoreB = b.lastScore;
  }

  next(): number {
    const { headA, headB } = this;
    if (headA < 0 && headB < 0) return -1;
    if (headB < 0 || (headA >= 0 && ranksBefore(this.scoreA, headA, this.scoreB, headB))) {
      this.lastScore = this.scoreA;
      this.headA = this.a.next();
      this.scoreA = this.a.lastScore;
      return headA;
    }
    this.lastScore = this.scoreB;
    this.headB = this.b.next();
    this.scoreB = this.b.lastScore;
    return headB;
  }
}

/** A ranking already in order (a precomputed list, or the fresh posts by popularity), seen columns skipped. */
class ListStream implements ColumnStream {
  lastScore = 0;
  /** A read found the end of the list: what lies past it is unknown when the list was cut at a depth. */
  ranOut = false;
  private pos: number;

  constructor(
    private readonly cols: ColumnIndices,
    private readonly scores: Float32Array | null,
    private readonly seen: Uint8Array | null,
    from = 0,
    private readonly end = cols.length,
  ) {
    this.pos = from;
  }

  next(): number {
    while (this.pos < this.end) {
      const at = this.pos++;
      const col = this.cols[at]!;
      if (this.seen !== null && this.seen[col] !== 0) continue;
      this.lastScore = this.scores === null ? 0 : this.scores[at]!;
      return col;
    }
    this.ranOut = true;
    return -1;
  }
}

interface Slot {
  col: number;
  source: 'model' | 'fresh';
  score: number;
}

/** Slots `compose` may draw ahead of the page, looking for one that keeps the run bounds. */
const COMPOSE_LOOKAHEAD = 64;

/**
 * How deep `compose` can read a stream for `need` slots: a draw happens only while fewer than `need`
 * slots are placed and fewer than COMPOSE_LOOKAHEAD wait, so at most need + COMPOSE_LOOKAHEAD − 1 slots
 * are ever drawn. Each column a stream hands out is either drawn or skipped because the other stream drew
 * it first, so neither stream reads past that many columns: one top-k scan each, never a rescan, and a
 * precomputed list at least this long serves the request exactly.
 */
const composeDepth = (need: number) => need + COMPOSE_LOOKAHEAD;

/**
 * The user's own ranking of the fresh posts (inside the category filter), for the reserved fresh slots:
 * the fresh posts this user would like most, not the most popular ones. Null when no slot is reserved.
 */
function freshRanking(
  snapshot: ModelSnapshot,
  params: ComposeParams,
  s: Scored,
  depth: number,
): ColumnStream | null {
  if (!(params.freshEvery > 0) || snapshot.freshCols.length === 0) return null;
  const fresh = s.candidates ? intersect(snapshot.freshCols, s.candidates) : snapshot.freshCols;
  return fresh.length === 0 ? null : rankingOf(snapshot, s, depth, fresh);
}

/**
 * The first `need` slots of the composed feed. The composed order depends only on the ranking (and the
 * fresh ranking), never on `need`, so page p is always the same slice: pagination is stable.
 */
function compose(
  snapshot: ModelSnapshot,
  params: ComposeParams,
  main: ColumnStream,
  fresh: ColumnStream | null,
  categoryFiltered: boolean,
  need: number,
): Slot[] {
  const { base, scratch } = snapshot;
  const used = scratch.used;
  const marked: number[] = [];
  let drawn = 0;
  // The user's best score, from the first post of the ranking: what a fresh post must come close to.
  let best = Number.NaN;
  let freshLeft = fresh;
  const draw = (): Slot | null => {
    drawn++;
    if (freshLeft && drawn % params.freshEvery === 0) {
      const floor = best > 0 ? params.freshMinScoreRatio * best : Number.NEGATIVE_INFINITY;
      for (let c = freshLeft.next(); c >= 0; c = freshLeft.next()) {
        if (used[c] !== 0) continue;
        // Fresh posts come best first: once one falls short, all later ones do.
        if (!(freshLeft.lastScore >= floor)) break;
        used[c] = 1;
        marked.push(c);
        return { col: c, source: 'fresh', score: freshLeft.lastScore };
      }
      freshLeft = null;
    }
    for (let c = main.next(); c >= 0; c = main.next()) {
      if (Number.isNaN(best)) best = main.lastScore;
      if (used[c] === 0) {
        used[c] = 1;
        marked.push(c);
        return { col: c, source: 'model', score: main.lastScore };
      }
    }
    return null;
  };

  const maxCat = categoryFiltered ? Number.POSITIVE_INFINITY : params.maxCategoryRun;
  const maxCreator = params.maxCreatorRun;
  const out: Slot[] = [];
  const runBreaks = (col: number): boolean => {
    const cat = base.postCategory[col]!;
    const creator = base.postCreator[col]!;
    return (
      (cat >= 0 && runOf(out, base.postCategory, cat) >= maxCat) ||
      (creator >= 0 && runOf(out, base.postCreator, creator) >= maxCreator)
    );
  };
  const pending: Slot[] = [];
  let exhausted = false;
  while (out.length < need) {
    let chosen = -1;
    for (let p = 0; p < pending.length; p++) {
      if (!runBreaks(pending[p]!.col)) {
        chosen = p;
        break;
      }
    }
    if (chosen < 0) {
      while (!exhausted && pending.length < COMPOSE_LOOKAHEAD) {
        const slot = draw();
        if (!slot) {
          exhausted = true;
          break;
        }
        pending.push(slot);
        if (!runBreaks(slot.col)) {
          chosen = pending.length - 1;
          break;
        }
      }
    }
    // Nothing within reach keeps the bound: relax it and take the best-ranked waiting post.
    if (chosen < 0 && pending.length > 0) chosen = 0;
    if (chosen < 0) break;
    out.push(pending.splice(chosen, 1)[0]!);
  }
  for (const c of marked) used[c] = 0;
  return out;
}

/** Length of the run of `value` at the end of `out` under the per-column attribute `attr`. */
function runOf(out: readonly Slot[], attr: Int32Array, value: number): number {
  let n = 0;
  for (let i = out.length - 1; i >= 0 && attr[out[i]!.col] === value; i--) n++;
  return n;
}

function intersect(a: Int32Array, b: Int32Array): Int32Array {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! === b[j]!) {
      out.push(a[i]!);
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return Int32Array.from(out);
}

/** Reasons for the page's slots, explained in one batch when the model can (fresh slots say so too). */
function reasonsFor(s: Scored, slots: readonly Slot[]): string[] {
  const prefix = s.fallback ? 'popular (fallback): ' : '';
  const cols = slots.map((slot) => slot.col);
  const batch = s.recommender.explainMany?.(s.history, cols);
  return slots.map((slot, i) => {
    const reason = batch ? batch[i]! : (s.recommender.explain?.(s.history, slot.col) ?? s.model);
    return `${slot.source === 'fresh' ? 'fresh, your best new post: ' : ''}${prefix}${reason}`;
  });
}

/**
 * The feed page for a request. Deterministic for a snapshot (and live events); page p+1 continues page p
 * without repeats; never a post the user interacted with. Throws `FeedError('bad_request')` for a bad
 * page, page size, model or category.
 *
 * @example recommendFeed(snapshot, { userId: 42, page: 2, pageSize: 20, category: 'motivation' })
 */
export function recommendFeed(snapshot: ModelSnapshot, request: FeedRequest = {}): FeedResult {
  const { page, pageSize } = pageOf(request);
  return fromPrecomputed(snapshot, request, page, pageSize) ?? scoredFeed(snapshot, request, page, pageSize);
}

/**
 * A request's page and page size, defaulted and checked (`FeedError('bad_request')` when out of range):
 * the same rule for feeds and the discovery lists.
 */
export function pageOf(request: Pick<FeedRequest, 'page' | 'pageSize'>): { page: number; pageSize: number } {
  const page = request.page ?? 1;
  const pageSize = request.pageSize ?? DEFAULT_PAGE_SIZE;
  checkInt('page', page, 1, Number.MAX_SAFE_INTEGER);
  checkInt('page_size', pageSize, 1, MAX_PAGE_SIZE);
  return { page, pageSize };
}

/**
 * The feed `recommendFeed` would give, when the snapshot's precomputed list of this user answers it
 * without scoring (see `fromPrecomputed`); null when the request needs scoring. Cheap enough (tens of
 * µs) to run on a serving event loop: what lets the HTTP thread answer most feeds without a round trip
 * to a scoring thread.
 * @example const feed = precomputedFeed(snapshot, { userId: 7 }) ?? recommendFeed(snapshot, { userId: 7 });
 */
export function precomputedFeed(snapshot: ModelSnapshot, request: FeedRequest = {}): FeedResult | null {
  const { page, pageSize } = pageOf(request);
  return fromPrecomputed(snapshot, request, page, pageSize);
}

/** The page's items from composed slots; model slots carry `model` as their source. */
function pageItems(snapshot: ModelSnapshot, slots: readonly Slot[], model: string): FeedItem[] {
  return slots.map((slot) => ({
    postId: snapshot.base.postIds[slot.col]!,
    score: slot.score,
    source: slot.source === 'fresh' ? 'fresh' : model,
  }));
}

/**
 * The feed from the snapshot's precomputed list of this user, or null when the request needs scoring:
 * another model, a category filter, live events, explanations, the raw ranking, or a page deeper than
 * the list. The same page scoring would give (see `precomputed.ts`).
 */
function fromPrecomputed(
  snapshot: ModelSnapshot,
  request: FeedRequest,
  page: number,
  pageSize: number,
): FeedResult | null {
  const rankings: PrecomputedRankings | undefined = snapshot.data.rankings;
  if (
    rankings === undefined ||
    request.userId === undefined ||
    request.compose === false ||
    // Fresh slots the snapshot never reserved have no precomputed fresh lists: score those requests.
    ((request.composeOptions?.freshEvery ?? 0) > 0 && !(snapshot.options.compose.freshEvery > 0)) ||
    request.explain === true ||
    (request.liveEvents !== undefined && request.liveEvents.length > 0) ||
    (request.category !== undefined && request.category.trim() !== '') ||
    (request.model ?? DEFAULT_MODEL) !== rankings.model
  ) {
    return null;
  }
  const { base, scratch } = snapshot;
  const row = userRowOf(base, request.userId);
  if (row < 0) return null;
  const { indptr, indices } = base.userItems;
  const historyStart = indptr[row]!;
  const historyEnd = indptr[row + 1]!;
  const historyLength = historyEnd - historyStart;
  if (historyLength === 0) return null;
  const listStart = rankings.offsets[row]!;
  const listEnd = rankings.offsets[row + 1]!;
  const total = base.nPosts - historyLength;
  // Every listed user has min(depth, unseen) entries; a shorter list means none was kept for this user.
  if (listEnd - listStart < Math.min(rankings.depth, total)) return null;
  const need = Math.min(page * pageSize, total, MAX_FEED_DEPTH);
  // A list cut at the depth (more unseen posts exist past it) answers only if composing never reads
  // past its end; a shorter list holds every unseen post. Checked after composing rather than bounded
  // before (need + the look-ahead), since composition reads only a few slots past `need` in practice:
  // what lets a list of ~50 serve pages that the worst-case bound would send to scoring.
  const cut = listEnd - listStart === rankings.depth && total > rankings.depth;
  const fellBack = rankings.fallback[row] === 1;
  const result: FeedResult = {
    items: [],
    model: fellBack ? 'popular' : rankings.model,
    cold: false,
    fallback: fellBack,
    historyLength,
    page,
    pageSize,
    total,
  };
  const from = (page - 1) * pageSize;
  if (from >= need) return result;
  // The list already leaves out the user's posts; the fresh stream needs them marked.
  const { seen } = scratch;
  for (let i = historyStart; i < historyEnd; i++) seen[indices[i]!] = 1;
  try {
    const main = new ListStream(rankings.cols, rankings.scores, null, listStart, listEnd);
    const freshStart = rankings.freshOffsets[row]!;
    const freshEnd = rankings.freshOffsets[row + 1]!;
    const params = composeParamsOf(snapshot, request);
    const fresh =
      params.freshEvery > 0 && freshEnd > freshStart
        ? new ListStream(rankings.freshCols, rankings.freshScores, null, freshStart, freshEnd)
        : null;
    const slots = compose(snapshot, params, main, fresh, false, need);
    if (cut && main.ranOut) return null;
    // A fresh list at its depth may have been cut too: reading to its end needs scoring.
    if (fresh?.ranOut && freshEnd - freshStart === rankings.freshDepth) return null;
    result.items = pageItems(snapshot, slots.slice(from), result.model);
    return result;
  } finally {
    for (let i = historyStart; i < historyEnd; i++) seen[indices[i]!] = 0;
  }
}

/** The feed by scoring the catalogue for this request. */
function scoredFeed(
  snapshot: ModelSnapshot,
  request: FeedRequest,
  page: number,
  pageSize: number,
): FeedResult {
  const s = score(snapshot, request.userId, request.model, request.category, request.liveEvents, true)!;
  try {
    const result: FeedResult = {
      items: [],
      model: s.model,
      cold: s.history.length === 0,
      fallback: s.fallback,
      historyLength: s.history.length,
      page,
      pageSize,
      total: s.total,
    };
    const from = (page - 1) * pageSize;
    const need = Math.min(page * pageSize, s.total, MAX_FEED_DEPTH);
    if (from >= need) return result;
    let slots: Slot[];
    if (request.compose === false) {
      const cols = new Int32Array(need);
      const scores = new Float32Array(need);
      const n = drawTop(rankingOf(snapshot, s, need), need, cols, scores);
      slots = Array.from({ length: n }, (_, i) => ({
        col: cols[i]!,
        source: 'model' as const,
        score: scores[i]!,
      }));
    } else {
      const depth = composeDepth(need);
      const params = composeParamsOf(snapshot, request);
      const main = rankingOf(snapshot, s, depth);
      const fresh = freshRanking(snapshot, params, s, depth);
      slots = compose(snapshot, params, main, fresh, s.candidates !== null, need);
    }
    const pageSlots = slots.slice(from);
    result.items = pageItems(snapshot, pageSlots, s.model);
    if (request.explain) {
      const reasons = reasonsFor(s, pageSlots);
      result.items.forEach((item, i) => {
        item.reason = reasons[i]!;
      });
    }
    return result;
  } finally {
    s.release();
  }
}

/** Where `rankUserRow` writes: the top unseen posts, and the top unseen fresh posts, with scores. */
export interface RowRankingBuffers {
  cols: ColumnIndices;
  scores: Float32Array;
  freshCols: ColumnIndices;
  freshScores: Float32Array;
}

/**
 * The top `cols.length` unseen posts of user row `row` under `model` (popular when it cannot score the
 * user) and its top `freshCols.length` unseen fresh posts, with their scores. For `precomputeRankings`.
 */
export function rankUserRow(
  snapshot: ModelSnapshot,
  row: number,
  model: string,
  out: RowRankingBuffers,
): { count: number; freshCount: number; fallback: boolean } {
  const s = score(snapshot, snapshot.base.userIds[row]!, model, undefined, undefined, true)!;
  try {
    const k = Math.min(out.cols.length, s.total);
    const count = drawTop(rankingOf(snapshot, s, k), k, out.cols, out.scores);
    const freshK = out.freshCols.length;
    const fresh = freshK > 0 ? rankingOf(snapshot, s, freshK, snapshot.freshCols) : null;
    const freshCount = fresh ? drawTop(fresh, freshK, out.freshCols, out.freshScores) : 0;
    return { count, freshCount, fallback: s.fallback };
  } finally {
    s.release();
  }
}

export interface RankRequest {
  userId?: number;
  /** Default `hybrid`. */
  model?: ModelName | (string & {});
  /** How many posts to rank (the top k of the full catalogue minus the user's posts). */
  k: number;
  category?: string;
  liveEvents?: readonly LiveEvent[];
  /** Fall back to `popular` when the model cannot score the user. Default false: an empty list. */
  fallback?: boolean;
}

export interface RankedItem {
  postId: number;
  score: number;
}

/**
 * The model's raw top-k for a user, without feed composition: what offline evaluation measures. Excludes
 * every post in the user's snapshot history (their training posts) and live events.
 *
 * @example rankForUser(snapshot, { userId: 42, model: 'ease', k: 20 }).map((r) => r.postId)
 */
export function rankForUser(snapshot: ModelSnapshot, request: RankRequest): RankedItem[] {
  checkInt('k', request.k, 0, Number.MAX_SAFE_INTEGER);
  const s = score(
    snapshot,
    request.userId,
    request.model,
    request.category,
    request.liveEvents,
    request.fallback ?? false,
  );
  if (!s) return [];
  try {
    const k = Math.min(request.k, s.total);
    const cols = new Int32Array(k);
    const scores = new Float32Array(k);
    const n = drawTop(rankingOf(snapshot, s, k), k, cols, scores);
    const out: RankedItem[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = { postId: snapshot.base.postIds[cols[i]!]!, score: scores[i]! };
    return out;
  } finally {
    s.release();
  }
}

/** Per-component contributions of the hybrid for the given posts (debugging / tuning aid). */
export function explainHybrid(
  snapshot: ModelSnapshot,
  userId: number | undefined,
  postIds: readonly number[],
  liveEvents?: readonly LiveEvent[],
): Record<string, number[]> {
  const env = snapshot.envs.get('hybrid');
  if (!env) throw new FeedError('bad_request', "model 'hybrid' is not built in this snapshot");
  const history = userHistory(snapshot.base, userId, liveEvents);
  const cols = postIds.map((id) => postColOf(snapshot.base, id)).filter((c) => c >= 0);
  const out: Record<string, number[]> = {};
  const hybridEnv = env as typeof env & { params: HybridParams };
  for (const [name, v] of hybridContributions(hybridEnv, history, cols)) out[name] = Array.from(v);
  return out;
}
