// Every tunable default of the engine in one place: interaction weights, decays, per-model parameters,
// hybrid blend weights and feed-composition rules. The offline evaluation tunes these on a validation
// split carved from the training part (never on the test part); change them here, nowhere else.
//
// Current values were chosen on MovieLens-100k's validation split (the protocol applied inside
// the training part) by `scripts/tune.ts` (coordinate search from the previous defaults): hybrid
// NDCG@20 on validation 0.2398 → 0.2457. The tuner also proposed an iALS blend weight of 0.05; it gained
// 0.0009 (noise) and would add ~20 s of build and ~1.5 ms per feed at 20k posts, so iALS stays opt-in.
// Single models score the textbook way (every past interaction counts the same); the hybrid adds the
// time-aware parts — recency-weighted history for EASE and itemknn (`hybrid.recency`), the `sequence`
// signal and the `trend` prior. Interaction-weight variants scored within ±0.001 of each other; a
// half-life under a year cost accuracy (60 days: −0.02 on itemknn), so decay is kept long.

/** Models selectable by name (`FeedRequest.model`, `BuildOptions.models`). */
export const MODEL_NAMES = [
  'popular',
  'seed-hybrid',
  'itemknn',
  'ease',
  'ials',
  'content',
  'hybrid',
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** Time-aware signals that exist only as parts of the hybrid blend. */
export const SIGNAL_NAMES = ['sequence', 'trend'] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

/** What a blend component is called: a model or a hybrid-only signal. */
export type ComponentName = Exclude<ModelName, 'hybrid' | 'seed-hybrid'> | SignalName;

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

/** `popular`: time-decayed popularity plus a freshness bonus; the cold-start answer. */
export interface PopularParams {
  /** Half-life (days) of an interaction's contribution to popularity. */
  halfLifeDays: number;
  /** Bonus at creation time, relative to the most popular post's normalised score of 1. */
  freshnessWeight: number;
  /** Half-life (days) of the freshness bonus. */
  freshnessHalfLifeDays: number;
}
export const DEFAULT_POPULAR: Readonly<PopularParams> = Object.freeze({
  halfLifeDays: 14,
  freshnessWeight: 0.2,
  freshnessHalfLifeDays: 3,
});

/**
 * How a user's history is weighted when a model forms their score: the latest interaction counts 1, the
 * one `halfLifeSteps` interactions before it counts ½ (recent tastes matter more). `Infinity` turns it off.
 */
export interface HistoryRecency {
  halfLifeSteps: number;
  /** Weight every entry keeps however old (0..1), so long-term taste still counts. */
  recencyFloor: number;
}

/** `itemknn`: item-item cosine with shrinkage, `neighbours` kept per item. */
export interface ItemKnnParams extends HistoryRecency {
  neighbours: number;
  shrinkage: number;
  /** Use interaction weights in the similarity (false: binary co-occurrence). */
  weighted: boolean;
}
export const DEFAULT_ITEMKNN: Readonly<ItemKnnParams> = Object.freeze({
  neighbours: 400,
  shrinkage: 3,
  weighted: true,
  halfLifeSteps: Infinity,
  recencyFloor: 0,
});

/** `ease` (Steck 2019): B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹ over the `maxItems` most popular posts. */
export interface EaseParams extends HistoryRecency {
  lambda: number;
  /**
   * Dense model size bound: a catalogue larger than this is restricted to its `maxItems` most interacted
   * posts (others get no EASE score); `strict` makes it refuse instead.
   */
  maxItems: number;
  strict: boolean;
  /** Use interaction weights in X (false: binary). */
  weighted: boolean;
}
export const DEFAULT_EASE: Readonly<EaseParams> = Object.freeze({
  lambda: 200,
  maxItems: 2000,
  strict: false,
  weighted: false,
  halfLifeSteps: Infinity,
  recencyFloor: 0,
});

/** `ials` (Hu, Koren, Volinsky 2008) solved with a few conjugate-gradient steps per row. */
export interface IalsParams {
  factors: number;
  iterations: number;
  regularization: number;
  /** Confidence c = 1 + alpha · weight. */
  alpha: number;
  cgSteps: number;
  seed: number;
}
export const DEFAULT_IALS: Readonly<IalsParams> = Object.freeze({
  factors: 64,
  iterations: 4,
  regularization: 5,
  alpha: 2,
  cgSteps: 2,
  seed: 42,
});

/** `content`: TF-IDF over summary, keywords, title and category; nearest posts to the user's profile. */
export interface ContentParams extends HistoryRecency {
  /** Repetitions of each field's tokens in a post's document (keywords and title count double). */
  fieldWeights: { summary: number; keywords: number; title: number; category: number };
  /** Terms kept in a user's profile vector (the strongest), bounding per-request cost. */
  maxProfileTerms: number;
}
export const DEFAULT_CONTENT: Readonly<ContentParams> = Object.freeze({
  fieldWeights: Object.freeze({ summary: 1, keywords: 2, title: 2, category: 1 }),
  maxProfileTerms: 64,
  halfLifeSteps: 5,
  recencyFloor: 0,
});

/** `seed-hybrid`: the Python prototype's constants, kept as they were. */
export interface SeedHybridParams {
  neighbours: number;
  collaborativeWeight: number;
  contentWeight: number;
  categoryBoost: number;
  topCategories: number;
  maxFeatures: number;
}
export const DEFAULT_SEED_HYBRID: Readonly<SeedHybridParams> = Object.freeze({
  neighbours: 10,
  collaborativeWeight: 0.6,
  contentWeight: 0.4,
  categoryBoost: 1.2,
  topCategories: 3,
  maxFeatures: 5000,
});

/** Hybrid signal `sequence`: what users interacted with next after each post ("next item" co-occurrence). */
export interface SequenceParams extends HistoryRecency {
  /** How many following interactions count as "next". */
  window: number;
  /** Weight of the d-th next interaction: decay^(d−1). */
  decay: number;
  neighbours: number;
  /** Added to a post's count before normalising (damps rare posts). */
  shrinkage: number;
  /** How many of the user's latest interactions seed the score. */
  lastItems: number;
  /** Weight of "came just before" relative to "came next" (0: next only). */
  backward: number;
}
export const DEFAULT_SEQUENCE: Readonly<SequenceParams> = Object.freeze({
  window: 10,
  decay: 0.9,
  neighbours: 200,
  shrinkage: 5,
  lastItems: 20,
  backward: 0,
  halfLifeSteps: 5,
  recencyFloor: 0,
});

/**
 * Hybrid signal `trend`: popularity in the window before the user's latest interaction (their session
 * time); for a user without history, the snapshot time.
 */
export interface TrendParams {
  windowDays: number;
  /** Width of a time bucket; widened automatically so that at most `maxBuckets` cover the data. */
  bucketHours: number;
  maxBuckets: number;
}
export const DEFAULT_TREND: Readonly<TrendParams> = Object.freeze({
  windowDays: 14,
  bucketHours: 24,
  maxBuckets: 256,
});

/** Blend weights of the hybrid's components (0 leaves a component out). */
export type HybridWeights = Record<ComponentName, number>;

export interface HybridParams {
  weights: HybridWeights;
  /** Weights for users with at most `coldHistoryMax` interactions (content neighbours blended in). */
  coldWeights: HybridWeights;
  coldHistoryMax: number;
  /** Per-user score normalisation before blending. */
  normalisation: 'minmax' | 'max';
  /**
   * How the hybrid weights a user's history when it asks a component for scores: the time-aware part
   * of the blend (recent interactions count more when forming a score from EASE's B or item
   * similarities). Components not listed use their own setting.
   */
  recency: Partial<Record<ComponentName, HistoryRecency>>;
}
export const DEFAULT_HYBRID: Readonly<HybridParams> = Object.freeze({
  weights: Object.freeze({
    ease: 1,
    itemknn: 0.5,
    ials: 0,
    content: 0.25,
    popular: 0.02,
    sequence: 0.25,
    trend: 0.02,
  }),
  coldWeights: Object.freeze({
    ease: 1,
    itemknn: 0.5,
    ials: 0,
    content: 0.2,
    popular: 0.2,
    sequence: 0.25,
    trend: 0.2,
  }),
  coldHistoryMax: 2,
  normalisation: 'minmax',
  recency: Object.freeze({
    ease: Object.freeze({ halfLifeSteps: 5, recencyFloor: 0.1 }),
    itemknn: Object.freeze({ halfLifeSteps: 3, recencyFloor: 0.05 }),
  }),
});

/** Models built when `BuildOptions.models` is not given (`ials` is opt-in: it adds build time). */
export const DEFAULT_MODELS: readonly ModelName[] = Object.freeze([
  'popular',
  'seed-hybrid',
  'itemknn',
  'ease',
  'content',
  'hybrid',
]);

/** The model a feed uses when the request names none. */
export const DEFAULT_MODEL: ModelName = 'hybrid';

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
}
export const DEFAULT_COMPOSE: Readonly<ComposeParams> = Object.freeze({
  maxCategoryRun: 3,
  maxCreatorRun: 2,
  freshEvery: 5,
  freshMaxAgeDays: 3,
});

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;
/** Deepest rank a feed serves (page × page_size); deeper pages are empty. */
export const MAX_FEED_DEPTH = 10_000;
