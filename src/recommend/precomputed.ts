// Per-user rankings computed once per snapshot, after the build: the default model's top `depth` unseen
// posts of every user with history, as plain typed arrays stored in the artifact. A feed request that
// reads no deeper than that list (and has no live events, category filter or explanation) is composed
// from it without scoring the catalogue; every other request scores as before. The list is the exact
// prefix of what scoring would rank (selectTopK's order is a strict total order), so both paths serve
// the same page.
import { DEFAULT_MODEL } from './defaults.js';
import { rankUserRow } from './feed.js';
import { type ModelSnapshot, openSnapshot, type RegistryOption, type SnapshotData } from './snapshot.js';

/** Plain data: user row r's list is `cols/scores[offsets[r] .. offsets[r + 1])`, best first. */
export interface PrecomputedRankings {
  /** The model that ranked the lists (requests for another model score as usual). */
  readonly model: string;
  /** Longest list kept; a shorter list holds every post the user can still be shown. */
  readonly depth: number;
  /** Per user row + 1: start of each row's list. Rows without history have an empty list. */
  readonly offsets: Int32Array;
  readonly cols: Int32Array;
  readonly scores: Float32Array;
  /** 1 where `model` could not score the user and `popular` ranked the list instead. */
  readonly fallback: Uint8Array;
}

export interface PrecomputeOptions {
  depth: number;
}

/**
 * The default model's top `depth` unseen posts for every user row with history; null when the snapshot
 * does not serve the default model or `depth` is 0.
 * @example const rankings = precomputeRankings(openSnapshot(data), { depth: 100 });
 */
export function precomputeRankings(
  snapshot: ModelSnapshot,
  { depth }: PrecomputeOptions,
): PrecomputedRankings | null {
  if (!Number.isSafeInteger(depth) || depth < 0)
    throw new RangeError(`depth must be an integer ≥ 0, got ${depth}`);
  const model = DEFAULT_MODEL;
  if (depth === 0 || !snapshot.models.has(model)) return null;
  const { base } = snapshot;
  const nUsers = base.userIds.length;
  const { indptr } = base.userItems;
  const offsets = new Int32Array(nUsers + 1);
  // Each list holds min(depth, unseen posts) columns: selectTopK returns k whenever k candidates exist.
  let bound = 0;
  for (let r = 0; r < nUsers; r++) {
    const seen = indptr[r + 1]! - indptr[r]!;
    if (seen > 0) bound += Math.min(depth, base.nPosts - seen);
  }
  const cols = new Int32Array(bound);
  const scores = new Float32Array(bound);
  const fallback = new Uint8Array(nUsers);
  let at = 0;
  for (let r = 0; r < nUsers; r++) {
    offsets[r] = at;
    if (indptr[r + 1]! > indptr[r]!) {
      const end = Math.min(at + depth, bound);
      const ranked = rankUserRow(snapshot, r, model, cols.subarray(at, end), scores.subarray(at, end));
      if (ranked.fallback) fallback[r] = 1;
      at += ranked.count;
    }
  }
  offsets[nUsers] = at;
  // The bound is exact (every row got its min(depth, unseen)); copy only if a row came up short.
  const trim = at === bound;
  return {
    model,
    depth,
    offsets,
    cols: trim ? cols : cols.slice(0, at),
    scores: trim ? scores : scores.slice(0, at),
    fallback,
  };
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
