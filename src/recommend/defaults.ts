// The engine-wide defaults: interaction weights, the matrix decay, history recency, which models a
// snapshot builds and the feed-composition rules. Each model's own parameters, its blend weights in the
// hybrid and its tuning grid live in its registry entry (`models/<name>.ts`, listed in `registry.ts`).
// The offline evaluation tunes them on a validation split carved from the training part (never on the
// test part).
//
// Current values were chosen on MovieLens-100k's validation split (the protocol applied inside
// the training part) by `scripts/tune.ts` (coordinate search from the previous defaults): hybrid
// NDCG@20 on validation 0.2398 → 0.2457. The tuner also proposed an iALS blend weight of 0.05; it gained
// 0.0009 (noise) and would add ~20 s of build and ~1.5 ms per feed at 20k posts, so iALS stays opt-in.
// Single models score the textbook way (every past interaction counts the same); the hybrid adds the
// time-aware parts — recency-weighted history for EASE and itemknn (`hybrid.recency`), the `sequence`
// signal and the `trend` prior. Interaction-weight variants scored within ±0.001 of each other; a
// half-life under a year cost accuracy (60 days: −0.02 on itemknn), so decay is kept long.

/** Weight of one interaction in the user × post matrix, summed over a user's interactions with a post. */
export interface InteractionWeights {
  view: number;
  like: number;
  inspire: number;
  /** Weight of a rating at 100 %; a rating adds `rating × rating_percent / 100`. */
  rating: number;
}

export const DEFAULT_INTERACTION_WEIGHTS: Readonly<InteractionWeights> = Object.freeze({
  view: 1,
  like: 3,
  inspire: 4,
  rating: 2,
});

/**
 * Half-life (days) of an interaction's weight in the user × post matrix, measured back from the snapshot's
 * "now". `Infinity` keeps old interactions at full weight.
 */
export const DEFAULT_HALF_LIFE_DAYS = 365;

/**
 * How a user's history is weighted when a model forms their score: the latest interaction counts 1, the
 * one `halfLifeSteps` interactions before it counts ½ (recent tastes matter more). `Infinity` turns it off.
 */
export interface HistoryRecency {
  halfLifeSteps: number;
  /** Weight every entry keeps however old (0..1), so long-term taste still counts. */
  recencyFloor: number;
}

/** Models built when `BuildOptions.models` is not given (`ials` is opt-in: it adds build time). */
export const DEFAULT_MODELS: readonly string[] = Object.freeze([
  'popular',
  'seed-hybrid',
  'itemknn',
  'ease',
  'content',
  'hybrid',
]);

/** The model a feed uses when the request names none. */
export const DEFAULT_MODEL = 'hybrid';

/** Feed composition rules. */
export interface ComposeParams {
  /** At most this many consecutive posts of one category (not applied under a category filter). */
  maxCategoryRun: number;
  /** At most this many consecutive posts of one creator. */
  maxCreatorRun: number;
  /** Every `freshEvery`-th slot (1-based: slots freshEvery, 2·freshEvery, …) goes to a fresh post; 0 = off. */
  freshEvery: number;
  /** A post is fresh when created at most this many days before the snapshot's "now". */
  freshMaxAgeDays: number;
  /**
   * A fresh slot goes to the user's best unseen fresh post only when its score is at least this share of
   * the user's best score (0..1); otherwise the slot is the ranking's, and no later fresh slot is tried.
   * Keeps new posts the user would not like out of the feed: chosen on the validation split (README).
   */
  freshMinScoreRatio: number;
}
export const DEFAULT_COMPOSE: Readonly<ComposeParams> = Object.freeze({
  maxCategoryRun: 3,
  maxCreatorRun: 2,
  freshEvery: 5,
  freshMaxAgeDays: 3,
  freshMinScoreRatio: 0.5,
});

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;
/** Deepest rank a feed serves (page × page_size); deeper pages are empty. */
export const MAX_FEED_DEPTH = 10_000;

/**
 * Ranked posts kept per user in a served snapshot (`precomputeRankings`). A feed whose composition reads
 * no deeper is composed from that list in O(depth), whatever the catalogue's size; one that would read
 * past a list's end is scored. 84 is the most composition can read for 20 slots (20 plus its
 * look-ahead of 64), so page 1 at page_size 20 and pages 1–2 at the default 10 always come from the
 * lists, deeper pages when their composition happens to stop early. Reads are deep in practice: the run
 * bounds skip a user's favourite category often, and lists of 48 answered only 33 % of page-1 feeds of
 * 20 on the bench data (8 bytes per entry: 84 cost 44 MiB at 68k users with history).
 */
export const PRECOMPUTED_RANKING_DEPTH = 84;

/**
 * Users given a precomputed list at most, the most recently active first: bounds the build's ranking
 * time and the snapshot's size (~0.7 KiB per user at depth 84) on large user bases, where the users
 * beyond it are the least likely to return soon; they are scored per request.
 */
export const PRECOMPUTED_RANKING_USERS = 200_000;

/**
 * Fresh posts kept per precomputed user for the reserved fresh slots: composing 20 slots draws at most
 * (20 + 63) / freshEvery fresh ones plus those the main ranking placed first; a feed that reads past
 * the list is scored.
 */
export const PRECOMPUTED_FRESH_DEPTH = 32;
