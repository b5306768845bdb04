// Per-user rankings computed once per snapshot, after the build: the default model's top `depth` unseen
// posts of every user with history, as plain typed arrays stored in the artifact. A feed request that
// reads no deeper than that list (and has no live events, category filter or explanation) is composed
// from it without scoring the catalogue; every other request scores as before. The list is the exact
// prefix of what scoring would rank (selectTopK's order is a strict total order), so both paths serve
// the same page.
import type { SnapshotBase } from './base.js';
import { type ColumnIndices, columnIndexArray } from './csr.js';
import { DEFAULT_MODEL, PRECOMPUTED_FRESH_DEPTH } from './defaults.js';
import { rankUserRow } from './feed.js';
import { type ModelSnapshot, openSnapshot, type RegistryOption, type SnapshotData } from './snapshot.js';

/**
 * Plain data: user row r's list is `cols/scores[offsets[r] .. offsets[r + 1])`, best first. Column
 * arrays are compact when the catalogue allows (see `ColumnIndices`): they are a third of a snapshot.
 */
export interface PrecomputedRankings {
  /** The model that ranked the lists (requests for another model score as usual). */
  readonly model: string;
  /** Longest list kept; a shorter list holds every post the user can still be shown. */
  readonly depth: number;
  /** Per user row + 1: start of each row's list. Rows without history have an empty list. */
  readonly offsets: Int32Array;
  readonly cols: ColumnIndices;
  readonly scores: Float32Array;
  /** 1 where `model` could not score the user and `popular` ranked the list instead. */
  readonly fallback: Uint8Array;
  /**
   * The same user's ranking of the fresh posts (the feed's reserved fresh slots), at most `freshDepth`:
   * row r's is `freshCols/freshScores[freshOffsets[r] .. freshOffsets[r + 1])`.
   */
  readonly freshDepth: number;
  readonly freshOffsets: Int32Array;
  readonly freshCols: ColumnIndices;
  readonly freshScores: Float32Array;
}

export interface PrecomputeOptions {
  depth: number;
  /** Fresh posts kept per user for the fresh slots (default `PRECOMPUTED_FRESH_DEPTH`). */
  freshDepth?: number;
  /**
   * Users given a list at most: the most recently active (by their latest interaction), who are the
   * ones likely to come back soon. The others are scored per request. Default: every user with history.
   */
  maxUsers?: number;
}

/**
 * The default model's top `depth` unseen posts for every user row with history (the `maxUsers` most
 * recently active of them); null when the snapshot does not serve the default model or `depth` is 0.
 * @example const rankings = precomputeRankings(openSnapshot(data), { depth: 100 });
 */
export function precomputeRankings(
  snapshot: ModelSnapshot,
  { depth, maxUsers = Number.POSITIVE_INFINITY, freshDepth = PRECOMPUTED_FRESH_DEPTH }: PrecomputeOptions,
): PrecomputedRankings | null {
  if (!Number.isSafeInteger(depth) || depth < 0)
    throw new RangeError(`depth must be an integer ≥ 0, got ${depth}`);
  if (!(maxUsers >= 0)) throw new RangeError(`maxUsers must be ≥ 0, got ${maxUsers}`);
  const model = DEFAULT_MODEL;
  if (depth === 0 || !snapshot.models.has(model)) return null;
  const { base } = snapshot;
  const nUsers = base.userIds.length;
  const { indptr } = base.userItems;
  // Rows in session-time order: users whose sessions fall in one time bucket share the blend's cached
  // user-independent scores (see hybrid.ts), so each bucket's are computed once, not once per user.
  const withHistory = rowsBySessionTime(base);
  const listed =
    withHistory.length > maxUsers ? withHistory.slice(withHistory.length - maxUsers) : withHistory;
  // Each list holds min(depth, unseen posts) columns (a ranking hands out every unseen post); a row
  // without a list has an empty one, which `feed.ts` tells from a complete list by its length.
  const length = new Int32Array(nUsers);
  for (const r of listed) length[r] = Math.min(depth, base.nPosts - (indptr[r + 1]! - indptr[r]!));
  const offsets = new Int32Array(nUsers + 1);
  for (let r = 0; r < nUsers; r++) offsets[r + 1] = offsets[r]! + length[r]!;
  // Fresh lists likewise hold min(freshDepth, unseen fresh posts).
  const isFresh = new Uint8Array(base.nPosts);
  for (const c of snapshot.freshCols) isFresh[c] = 1;
  const freshLength = new Int32Array(nUsers);
  for (const r of listed) {
    let seenFresh = 0;
    for (let i = indptr[r]!; i < indptr[r + 1]!; i++) seenFresh += isFresh[base.userItems.indices[i]!]!;
    freshLength[r] = Math.min(freshDepth, snapshot.freshCols.length - seenFresh);
  }
  const freshOffsets = new Int32Array(nUsers + 1);
  for (let r = 0; r < nUsers; r++) freshOffsets[r + 1] = freshOffsets[r]! + freshLength[r]!;
  const freshCols = columnIndexArray(base.nPosts, freshOffsets[nUsers]!);
  const freshScores = new Float32Array(freshOffsets[nUsers]!);
  const cols = columnIndexArray(base.nPosts, offsets[nUsers]!);
  const scores = new Float32Array(offsets[nUsers]!);
  const fallback = new Uint8Array(nUsers);
  for (const r of listed) {
    const from = offsets[r]!;
    const to = offsets[r + 1]!;
    const freshFrom = freshOffsets[r]!;
    const freshTo = freshOffsets[r + 1]!;
    const ranked = rankUserRow(snapshot, r, model, {
      cols: cols.subarray(from, to),
      scores: scores.subarray(from, to),
      freshCols: freshCols.subarray(freshFrom, freshTo),
      freshScores: freshScores.subarray(freshFrom, freshTo),
    });
    if (ranked.count !== to - from || ranked.freshCount !== freshTo - freshFrom) {
      throw new Error(`ranking of user row ${r} ended early (${ranked.count} of ${to - from} posts)`);
    }
    if (ranked.fallback) fallback[r] = 1;
  }
  return { model, depth, offsets, cols, scores, fallback, freshDepth, freshOffsets, freshCols, freshScores };
}

/** The user rows with history, by session time (their latest interaction), oldest first; ties by row. */
export function rowsBySessionTime(base: SnapshotBase): number[] {
  const { indptr, lastAt } = base.userItems;
  const rows: number[] = [];
  for (let r = 0; r < base.userIds.length; r++) if (indptr[r + 1]! > indptr[r]!) rows.push(r);
  const sessionTime = (r: number) => lastAt[indptr[r + 1]! - 1]!;
  return rows.sort((a, b) => sessionTime(a) - sessionTime(b) || a - b);
}

/**
 * `data` with per-user rankings of its default model added (see `precomputeRankings`).
 * @example const served = withPrecomputedRankings(fitSnapshot(training), { depth: 100 });
 */
export function withPrecomputedRankings(
  data: SnapshotData,
  options: PrecomputeOptions & RegistryOption,
): SnapshotData {
  const { registry, ...precompute } = options;
  const rankings = precomputeRankings(openSnapshot(data, registry ? { registry } : {}), precompute);
  return rankings === null ? data : { ...data, rankings };
}
