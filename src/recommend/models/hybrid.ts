// `hybrid` (the default): a weighted blend of per-user normalised component scores (models plus the
// time-aware `sequence` and `trend` signals); users with one or two interactions get cold weights that
// blend content neighbours and popularity in.
import type { ComponentName, HybridParams, HybridWeights } from '../defaults.js';
import type { UserHistory } from '../history.js';
import type { Recommender, ScoreOptions } from './recommender.js';

export interface HybridModel extends Recommender {
  readonly params: HybridParams;
  /** Weighted, normalised contribution of each component to each of `cols`, for explanations. */
  contributions(history: UserHistory, cols: readonly number[]): Map<ComponentName, Float32Array>;
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

/** Min and max of `s` over `touched[0..count)`, including `floor` when some columns were not touched. */
function rangeOf(
  s: Float32Array,
  touched: Int32Array,
  count: number,
  floor: number,
  n: number,
): [number, number] {
  let min = count < n ? floor : Number.POSITIVE_INFINITY;
  let max = count < n ? floor : Number.NEGATIVE_INFINITY;
  for (let t = 0; t < count; t++) {
    const v = s[touched[t]!]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/**
 * Builds the blend over the given fitted components; components with weight 0 are skipped. Each
 * component's scores are normalised per user (min-max, or divided by the max) and added with its weight.
 * Sparse components (itemknn, sequence, EASE over its covered posts) only touch the posts they score,
 * user-independent ones (popular) are normalised once here: a request costs a few passes over the
 * catalogue, not a few per component.
 */
export function makeHybrid(
  components: ReadonlyMap<ComponentName, Recommender>,
  params: HybridParams,
  nPosts: number,
): HybridModel {
  const scratch = new Float32Array(nPosts);
  const sparse = new Float32Array(nPosts);
  const touched = new Int32Array(nPosts);
  const normalisedStatic = new Map<ComponentName, Float32Array>();
  for (const [name, model] of components) {
    if (!model.staticScores) continue;
    const copy = Float32Array.from(model.staticScores);
    if (normalise(copy, params.normalisation)) normalisedStatic.set(name, copy);
  }
  const scoreOptions = (name: ComponentName): ScoreOptions | undefined => {
    const recency = params.recency[name];
    return recency ? { recency } : undefined;
  };
  // Users with little or no history (≤ coldHistoryMax) get the cold weights: content neighbours and
  // popularity blended in (with no history at all only the user-independent parts can answer).
  const weightsFor = (history: UserHistory): HybridWeights =>
    history.length <= params.coldHistoryMax ? params.coldWeights : params.weights;

  /** Adds w × normalised(component) into `out`; false when the component had nothing to add. */
  function addComponent(
    name: ComponentName,
    model: Recommender,
    w: number,
    history: UserHistory,
    out: Float32Array,
  ) {
    if (model.staticScores) {
      const norm = normalisedStatic.get(name);
      if (!norm) return false;
      for (let c = 0; c < nPosts; c++) out[c]! += w * norm[c]!;
      return true;
    }
    if (model.scoreSparse) {
      const r = model.scoreSparse(history, sparse, touched, scoreOptions(name));
      if (!r) return false;
      const [min, max] = rangeOf(sparse, touched, r.count, r.floor, nPosts);
      let added = false;
      if (params.normalisation === 'max' ? max > 0 : max > min) {
        // Untouched posts sit at the floor = the minimum, i.e. 0 after normalisation: nothing to add.
        const lo = params.normalisation === 'max' ? 0 : min;
        const scale = w / (max - lo);
        for (let t = 0; t < r.count; t++) {
          const c = touched[t]!;
          out[c]! += scale * (sparse[c]! - lo);
        }
        added = true;
      }
      for (let t = 0; t < r.count; t++) sparse[touched[t]!] = 0;
      return added;
    }
    if (!model.scoreUser(history, scratch, scoreOptions(name))) return false;
    if (!normalise(scratch, params.normalisation)) return false;
    for (let c = 0; c < nPosts; c++) out[c]! += w * scratch[c]!;
    return true;
  }

  return {
    name: 'hybrid',
    params,
    scoreUser(history, out) {
      out.fill(0);
      const weights = weightsFor(history);
      let any = false;
      for (const [name, model] of components) {
        const w = weights[name];
        if (!(w > 0)) continue;
        if (addComponent(name, model, w, history, out)) any = true;
      }
      return any;
    },
    contributions(history, cols) {
      const weights = weightsFor(history);
      const result = new Map<ComponentName, Float32Array>();
      const one = new Float32Array(nPosts);
      for (const [name, model] of components) {
        const w = weights[name];
        if (!(w > 0)) continue;
        one.fill(0);
        if (!addComponent(name, model, w, history, one)) continue;
        result.set(
          name,
          Float32Array.from(cols, (c) => one[c]!),
        );
      }
      return result;
    },
    explain(history, col) {
      return this.explainMany!(history, [col])[0]!;
    },
    explainMany(history, cols) {
      const contributions = [...this.contributions(history, cols)];
      return cols.map((col, i) => {
        const parts = contributions.filter(([, v]) => v[i]! > 0).sort((a, b) => b[1][i]! - a[1][i]!);
        const top = parts.length > 0 ? components.get(parts[0]![0]) : undefined;
        const detail = top?.explain ? `; ${top.explain(history, col)}` : '';
        const summary = parts.map(([name, v]) => `${name} ${v[i]!.toFixed(3)}`).join(' + ');
        return `hybrid: ${summary || 'no signal'}${detail}`;
      });
    },
  };
}
