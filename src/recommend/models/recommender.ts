// The one interface every model and hybrid signal implements, so the feed can score with any of them.
import type { HistoryRecency } from '../defaults.js';
import type { UserHistory } from '../history.js';

/** Per-call scoring options (the hybrid uses them to score its components its own way). */
export interface ScoreOptions {
  /** Overrides the model's own history-recency weighting. */
  recency?: HistoryRecency;
}

/** Result of sparse scoring: `count` columns written; every other column scores `floor` (≤ all written). */
export interface SparseScores {
  count: number;
  floor: number;
}

/**
 * Scores of every column a two-stage scorer did not list as a candidate: exact, shared by all users with
 * the same key (e.g. the blend of its user-independent parts), with their order computed once.
 */
export interface RestScores {
  readonly scores: Float32Array;
  /** Columns by score descending, ties by column ascending: at least the first min(k, columns). */
  top(k: number): Int32Array;
}

/**
 * Result of two-stage scoring: `cols[0..count)` are the candidates, scored into `out` (only those entries
 * are defined); every other column scores `rest.scores[c]`, or 0 when `rest` is null. Merging the two
 * orders gives exactly the ranking a dense score vector would.
 */
export interface CandidateScores {
  count: number;
  rest: RestScores | null;
}

export interface Recommender {
  /** The registry name of the model or blend component. */
  readonly name: string;
  /**
   * Writes a score for every post column into `out` (length = number of posts; higher is better).
   * Returns false when the model has nothing to say for this history (e.g. no interactions), in which
   * case `out` is unspecified and the feed falls back.
   */
  scoreUser(history: UserHistory, out: Float32Array, options?: ScoreOptions): boolean;
  /**
   * Optional fast path for models whose scores are mostly a constant floor: writes the scores of the
   * columns it touches into `out` (all zero on entry; the caller re-zeroes `touched[0..count)` after) and
   * lists them in `touched`. Returns null when the model has nothing to say.
   */
  scoreSparse?(
    history: UserHistory,
    out: Float32Array,
    touched: Int32Array,
    options?: ScoreOptions,
  ): SparseScores | null;
  /**
   * Optional two-stage scoring, for a cost that grows with the history and not with the catalogue: lists
   * the candidate columns in `cols`, marks each in `mark` (all zero on entry; the caller clears
   * `mark[cols[0..count)]` after), scores them into `out`, and says how every other column scores (see
   * `CandidateScores`). Returns null when the model has nothing to say, like `scoreUser` returning false.
   */
  scoreCandidates?(
    history: UserHistory,
    out: Float32Array,
    cols: Int32Array,
    mark: Uint8Array,
  ): CandidateScores | null;
  /** Set when scores do not depend on the user (popularity): the blend can pre-normalise them once. */
  readonly staticScores?: Float32Array;
  /**
   * Set when scores depend on the history only through a small integer key (trend: the time bucket of
   * the user's session): histories with the same key get the same `scoreUser` output, so the blend can
   * normalise each key's scores once and reuse them. Keys must come from a small, bounded set.
   */
  scoreKey?(history: UserHistory): number;
  /** A short, human-readable reason why `col` scored as it did for this history (debugging only). */
  explain?(history: UserHistory, col: number): string;
  /** The reasons for many columns at once, when that is cheaper than one `explain` per column. */
  explainMany?(history: UserHistory, cols: readonly number[]): string[];
}
