// `hybrid` (the default): a weighted blend of per-user normalised component scores (models plus the
// time-aware `sequence` and `trend` signals); users with one or two interactions get cold weights that
// blend content neighbours and popularity in. Its blend weights default to what each component's
// registry entry declares (`blend`), overridable through the `hybrid` build options.
import type { HistoryRecency } from '../defaults.js';
import type { UserHistory } from '../history.js';
import { defineModel, type ModelEnv } from '../model.js';
import type { Recommender, ScoreOptions } from './recommender.js';

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
 * history, computed once per thread and key; null when it adds nothing.
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
  const cache = env.scratch.memo(`hybrid.keyed.${name}`, () => new Map<number, Float32Array | null>());
  const key = model.scoreKey!(history);
  let norm = cache.get(key);
  if (norm === undefined) {
    const s = new Float32Array(env.base.nPosts);
    norm = model.scoreUser(history, s, scoreOptions(env, name)) && normalise(s, mode) ? s : null;
    cache.set(key, norm);
  }
  return norm;
}

/** Adds w × normalised(part) into `out`; false when the part had nothing to add. */
function addPart(env: Env, part: Part, history: UserHistory, out: Float32Array): boolean {
  const { name, model, w } = part;
  const nPosts = env.base.nPosts;
  if (model.staticScores || model.scoreKey) {
    const norm = independentScores(env, part, history);
    if (!norm) return false;
    addScaled(out, norm, w);
    return true;
  }
  if (model.scoreSparse) {
    // Sparse parts (itemknn, sequence, EASE over its covered posts) only visit the posts they score;
    // every other post sits at the floor, which normalises to 0 and adds nothing.
    const sparse = env.scratch.floats('hybrid.sparse', nPosts);
    const touched = env.scratch.ints('hybrid.touched', nPosts);
    const r = model.scoreSparse(history, sparse, touched, scoreOptions(env, name));
    if (!r) return false;
    let min = r.count < nPosts ? r.floor : Number.POSITIVE_INFINITY;
    let max = r.count < nPosts ? r.floor : Number.NEGATIVE_INFINITY;
    for (let t = 0; t < r.count; t++) {
      const v = sparse[touched[t]!]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const added = env.params.normalisation === 'max' ? max > 0 : max > min;
    if (added) {
      const lo = env.params.normalisation === 'max' ? 0 : min;
      const scale = w / (max - lo);
      for (let t = 0; t < r.count; t++) {
        const c = touched[t]!;
        out[c]! += scale * (sparse[c]! - lo);
      }
    }
    for (let t = 0; t < r.count; t++) sparse[touched[t]!] = 0;
    return added;
  }
  const dense = env.scratch.floats('hybrid.dense', nPosts);
  if (!model.scoreUser(history, dense, scoreOptions(env, name))) return false;
  if (!normalise(dense, env.params.normalisation)) return false;
  addScaled(out, dense, w);
  return true;
}

/**
 * Weighted, normalised contribution of each component to each of `cols`, for explanations.
 * @example hybridContributions(env, history, [3, 7]).get('ease')
 */
export function hybridContributions(
  env: Env,
  history: UserHistory,
  cols: readonly number[],
): Map<string, Float32Array> {
  const result = new Map<string, Float32Array>();
  const one = new Float32Array(env.base.nPosts);
  for (const part of partsOf(env, isCold(env, history))) {
    one.fill(0);
    if (!addPart(env, part, history, one)) continue;
    result.set(
      part.name,
      Float32Array.from(cols, (c) => one[c]!),
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
  /** Components in blend order, each normalised per user and added with its weight: one pass each. */
  score(_state, env, history, out) {
    out.fill(0);
    let any = false;
    for (const part of partsOf(env, isCold(env, history))) if (addPart(env, part, history, out)) any = true;
    return any;
  },
  explain: (_state, env, history, col) => explainMany(env, history, [col])[0]!,
  explainMany: (_state, env, history, cols) => explainMany(env, history, cols),
});
