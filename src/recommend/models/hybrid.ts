// `hybrid` (the default): a weighted blend of per-user normalised component scores (models plus the
// time-aware `sequence` and `trend` signals); users with one or two interactions get cold weights that
// blend content neighbours and popularity in. Its blend weights default to what each component's
// registry entry declares (`blend`), overridable through the `hybrid` build options.
import type { HistoryRecency } from '../defaults.js';
import type { UserHistory } from '../history.js';
import { defineModel, type ModelEnv } from '../model.js';
import { selectTopK } from '../topk.js';
import type { CandidateScores, Recommender, RestScores, ScoreOptions } from './recommender.js';

/** Blend weight per component name (0 or absent leaves a component out). */
export type HybridWeights = Record<string, number>;

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
  recency: Record<string, HistoryRecency>;
}

type Env = ModelEnv<HybridParams>;

/** A component with a positive blend weight. */
interface Part {
  readonly name: string;
  readonly model: Recommender;
  readonly w: number;
}

/** Rescales `s` in place to [0, 1] (min-max) or to max 1 (max); returns false for a constant vector. */
function normalise(s: Float32Array, mode: HybridParams['normalisation']): boolean {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < s.length; c++) {
    const v = s[c]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (mode === 'max') {
    if (!(max > 0)) return false;
    const inv = 1 / max;
    for (let c = 0; c < s.length; c++) s[c]! *= inv;
    return true;
  }
  if (!(max > min)) return false;
  const inv = 1 / (max - min);
  for (let c = 0; c < s.length; c++) s[c] = (s[c]! - min) * inv;
  return true;
}

/** out[c] += w × v[c] for every column. */
function addScaled(out: Float32Array, v: Float32Array, w: number): void {
  for (let c = 0; c < v.length; c++) out[c]! += w * v[c]!;
}

const scoreOptions = (env: Env, name: string): ScoreOptions | undefined => {
  const recency = env.params.recency[name];
  return recency ? { recency } : undefined;
};

const isCold = (env: Env, history: UserHistory) => history.length <= env.params.coldHistoryMax;

/** Scores that do not depend on the user, or only through a small key: folded into the rest scores. */
const isIndependent = (model: Recommender) =>
  model.staticScores !== undefined || model.scoreKey !== undefined;

function partsOf(env: Env, cold: boolean): Part[] {
  return env.scratch.memo(`hybrid.parts.${cold ? 'cold' : 'warm'}`, () => {
    const weights = cold ? env.params.coldWeights : env.params.weights;
    return [...env.components]
      .filter(([name]) => (weights[name] ?? 0) > 0)
      .map(([name, model]) => ({ name, model, w: weights[name]! }));
  });
}

/**
 * The normalised scores of a user-independent part (static, or keyed by e.g. a time bucket) for this
 * history; null when it adds nothing. Static parts are normalised once per thread.
 */
function independentScores(env: Env, { name, model }: Part, history: UserHistory): Float32Array | null {
  const mode = env.params.normalisation;
  if (model.staticScores) {
    const scores = model.staticScores;
    return env.scratch.memo(`hybrid.static.${name}`, () => {
      const copy = Float32Array.from(scores);
      return normalise(copy, mode) ? copy : null;
    });
  }
  const s = new Float32Array(env.base.nPosts);
  return model.scoreUser(history, s, scoreOptions(env, name)) && normalise(s, mode) ? s : null;
}

/** The blend's user-independent parts for one key, with their ranking computed once and grown on demand. */
class RestEntry implements RestScores {
  private order = new Int32Array(0);
  constructor(readonly scores: Float32Array) {}

  top(k: number): Int32Array {
    const want = Math.min(k, this.scores.length);
    if (this.order.length < want) {
      const size = Math.min(this.scores.length, Math.max(want, 2 * this.order.length, 256));
      const buf = new Int32Array(size);
      this.order = buf.subarray(0, selectTopK(this.scores, size, null, null, buf));
    }
    return this.order;
  }
}

/**
 * Bytes of rest entries kept per thread, least recently used dropped first (one entry per cold/warm and
 * key seen, each one float per post): every key of a mid-size catalogue fits.
 */
const REST_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Σ w × normalised(part) over the user-independent parts, for this history's key: what every post
 * the user's own signals do not reach scores. Null when no such part adds anything.
 */
function restOf(env: Env, cold: boolean, history: UserHistory): RestEntry | null {
  const parts = env.scratch.memo(`hybrid.independent.${cold ? 'cold' : 'warm'}`, () =>
    partsOf(env, cold).filter((p) => isIndependent(p.model)),
  );
  if (parts.length === 0) return null;
  let key = cold ? 'cold' : 'warm';
  for (const { model } of parts) if (model.scoreKey) key += `:${model.scoreKey(history)}`;
  const cache = env.scratch.memo('hybrid.rest', () => new Map<string, RestEntry | null>());
  let entry = cache.get(key);
  if (entry !== undefined) {
    cache.delete(key);
    cache.set(key, entry);
  } else {
    const sum = new Float32Array(env.base.nPosts);
    let any = false;
    for (const part of parts) {
      const norm = independentScores(env, part, history);
      if (!norm) continue;
      addScaled(sum, norm, part.w);
      any = true;
    }
    entry = any ? new RestEntry(sum) : null;
    const capacity = Math.max(8, Math.floor(REST_CACHE_BYTES / (4 * env.base.nPosts)));
    if (cache.size >= capacity) cache.delete(cache.keys().next().value!);
    cache.set(key, entry);
  }
  return entry;
}

/**
 * A user-dependent part's weighted, normalised scores: it adds scale × (values[t] − lo) to post
 * touched[t] for t in [0, count) — for a dense part `touched` is null and t is the post itself — and
 * nothing elsewhere. Sparse parts only visit the posts they score; every other post sits at the floor,
 * which normalises to 0. A sparse part's values are gathered in `touched` order while its min and max are
 * found (its scratch row is left zero at once), so the blend then reads them in sequence: per candidate,
 * one random access fewer into a catalogue-sized array, which is what grows with the catalogue.
 */
interface Contribution {
  values: Float32Array;
  touched: Int32Array | null;
  count: number;
  lo: number;
  scale: number;
}

function contributionOf(env: Env, part: Part, history: UserHistory): Contribution | null {
  const { name, model, w } = part;
  const nPosts = env.base.nPosts;
  let values: Float32Array;
  let touched: Int32Array | null = null;
  let count = nPosts;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  if (model.scoreSparse) {
    const row = env.scratch.floats(`hybrid.sparse.${name}`, nPosts);
    touched = env.scratch.ints(`hybrid.touched.${name}`, nPosts);
    const r = model.scoreSparse(history, row, touched, scoreOptions(env, name));
    if (!r) return null;
    count = r.count;
    values = env.scratch.floats(`hybrid.gathered.${name}`, nPosts);
    if (count < nPosts) min = max = r.floor;
    for (let t = 0; t < count; t++) {
      const c = touched[t]!;
      const v = row[c]!;
      row[c] = 0;
      values[t] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  } else {
    values = env.scratch.floats(`hybrid.dense.${name}`, nPosts);
    if (!model.scoreUser(history, values, scoreOptions(env, name))) return null;
    for (let c = 0; c < nPosts; c++) {
      const v = values[c]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const lo = env.params.normalisation === 'max' ? 0 : min;
  if (!(max > lo)) return null;
  return { values, touched, count, lo, scale: w / (max - lo) };
}

/**
 * Two-stage blend: the candidates are the posts some user-dependent part reaches (all posts when one
 * part is dense); each scores the rest scores plus its contributions, and every other post scores
 * exactly the rest scores. The cost grows with what the user's signals touch, not with the catalogue.
 */
function scoreCandidates(
  env: Env,
  history: UserHistory,
  out: Float32Array,
  cols: Int32Array,
  mark: Uint8Array,
): CandidateScores | null {
  const cold = isCold(env, history);
  const rest = restOf(env, cold, history);
  const restScores = rest?.scores;
  let count = 0;
  let any = rest !== null;
  for (const part of partsOf(env, cold)) {
    if (isIndependent(part.model)) continue;
    const contribution = contributionOf(env, part, history);
    if (!contribution) continue;
    any = true;
    // One pass per part: a post's first contribution makes it a candidate on top of its rest score.
    const { values, touched, lo, scale } = contribution;
    for (let t = 0; t < contribution.count; t++) {
      const c = touched ? touched[t]! : t;
      const v = scale * (values[t]! - lo);
      if (mark[c] === 0) {
        mark[c] = 1;
        cols[count++] = c;
        out[c] = (restScores ? restScores[c]! : 0) + v;
      } else {
        out[c]! += v;
      }
    }
  }
  return any ? { count, rest } : null;
}

/** The blend for every post: the candidates' scores, and the rest scores everywhere else. */
function scoreDense(env: Env, history: UserHistory, out: Float32Array): boolean {
  const nPosts = env.base.nPosts;
  const cols = env.scratch.ints('hybrid.cols', nPosts);
  const mark = env.scratch.bytes('hybrid.mark', nPosts);
  const r = scoreCandidates(env, history, out, cols, mark);
  if (!r) return false;
  const rest = r.rest?.scores;
  for (let c = 0; c < nPosts; c++) if (mark[c] === 0) out[c] = rest ? rest[c]! : 0;
  for (let t = 0; t < r.count; t++) mark[cols[t]!] = 0;
  return true;
}

/**
 * Weighted, normalised contribution of each component to each of `cols`, for explanations: the same
 * normalisation as scoring.
 * @example hybridContributions(env, history, [3, 7]).get('ease')
 */
export function hybridContributions(
  env: Env,
  history: UserHistory,
  cols: readonly number[],
): Map<string, Float32Array> {
  const result = new Map<string, Float32Array>();
  for (const part of partsOf(env, isCold(env, history))) {
    if (isIndependent(part.model)) {
      const norm = independentScores(env, part, history);
      if (norm)
        result.set(
          part.name,
          Float32Array.from(cols, (c) => part.w * norm[c]!),
        );
      continue;
    }
    const contribution = contributionOf(env, part, history);
    if (!contribution) continue;
    const { values, touched, count, lo, scale } = contribution;
    // A sparse part's values are in `touched` order: look the asked posts up by column.
    const at = new Map<number, number>();
    if (touched) for (let t = 0; t < count; t++) at.set(touched[t]!, values[t]!);
    result.set(
      part.name,
      Float32Array.from(cols, (c) => {
        const v = touched ? at.get(c) : values[c];
        return v === undefined ? 0 : scale * (v - lo);
      }),
    );
  }
  return result;
}

/** Each column's reason: the components that put it there, strongest first, and the strongest one's own. */
function explainMany(env: Env, history: UserHistory, cols: readonly number[]): string[] {
  const contributions = [...hybridContributions(env, history, cols)];
  return cols.map((col, i) => {
    const parts = contributions.filter(([, v]) => v[i]! > 0).sort((a, b) => b[1][i]! - a[1][i]!);
    const top = parts.length > 0 ? env.components.get(parts[0]![0]) : undefined;
    const detail = top?.explain ? `; ${top.explain(history, col)}` : '';
    const summary = parts.map(([name, v]) => `${name} ${v[i]!.toFixed(3)}`).join(' + ');
    return `hybrid: ${summary || 'no signal'}${detail}`;
  });
}

export const hybridModel = defineModel({
  name: 'hybrid',
  optionsKey: 'hybrid',
  selectable: true,
  // Weights, cold weights and recency are filled in from the components' registry entries.
  defaults: {
    weights: {},
    coldWeights: {},
    coldHistoryMax: 2,
    normalisation: 'minmax',
    recency: {},
  } as HybridParams,
  fit: () => null,
  /** Components in blend order, each normalised per user and added with its weight (see `scoreCandidates`). */
  score: (_state, env, history, out) => scoreDense(env, history, out),
  scoreCandidates: (_state, env, history, out, cols, mark) => scoreCandidates(env, history, out, cols, mark),
  explain: (_state, env, history, col) => explainMany(env, history, [col])[0]!,
  explainMany: (_state, env, history, cols) => explainMany(env, history, cols),
});
