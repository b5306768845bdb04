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

/** A component with a positive blend weight. */
interface Part {
  readonly name: ComponentName;
  readonly model: Recommender;
  readonly w: number;
}

/**
 * One step of a blend: a part added on its own, or a run of two user-independent parts with at most one
 * sparse part between them, added in one pass over the catalogue (see `addRun`).
 */
type Step =
  | { readonly part: Part }
  | { readonly first: Part; readonly between: Part | null; readonly second: Part };

/** Scores that do not depend on the user, or only through a key: normalised once, then reused. */
const isUserIndependent = (model: Recommender) => Boolean(model.staticScores || model.scoreKey);
/** Scored per user over every column (content, iALS): a min/max pass and a normalise-and-add pass. */
const isDense = (model: Recommender) => !isUserIndependent(model) && !model.scoreSparse;

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

/**
 * Offset and scale that normalise `s`: onto [0, 1] (`minmax`) or by its maximum (`max`); null for a
 * vector with nothing to normalise (constant, or no positive maximum).
 */
function normalisation(
  s: Float32Array,
  mode: HybridParams['normalisation'],
): { offset: number; scale: number } | null {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < s.length; c++) {
    const v = s[c]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // x − 0 is x exactly, so `max` mode gives the same values as plain scaling.
  if (mode === 'max') return max > 0 ? { offset: 0, scale: 1 / max } : null;
  return max > min ? { offset: min, scale: 1 / (max - min) } : null;
}

/**
 * out[c] += w × normalised(s)[c] for every column, normalising on the fly (one pass instead of a rescale
 * pass and an add pass); returns false for a constant vector. Each normalised value is rounded to float32
 * first, exactly as if it had been stored back into `s`, so sums are bit-identical to normalise-then-add.
 */
function addNormalised(
  out: Float32Array,
  s: Float32Array,
  w: number,
  mode: HybridParams['normalisation'],
): boolean {
  const norm = normalisation(s, mode);
  if (!norm) return false;
  const { offset, scale } = norm;
  for (let c = 0; c < s.length; c++) out[c]! += w * Math.fround((s[c]! - offset) * scale);
  return true;
}

/**
 * The first addition of a blend, in place: out[c] = 0 + w × normalised(out)[c], the same sums as
 * `addNormalised` into a zeroed vector without a second vector. False for a constant vector (then
 * `out` is left as it was).
 */
function normaliseInPlace(out: Float32Array, w: number, mode: HybridParams['normalisation']): boolean {
  const norm = normalisation(out, mode);
  if (!norm) return false;
  const { offset, scale } = norm;
  // `0 +` as in the additive path: it turns a −0 into +0.
  for (let c = 0; c < out.length; c++) out[c] = 0 + w * Math.fround((out[c]! - offset) * scale);
  return true;
}

/** out[c] += w × v[c] for every column. */
function addScaled(out: Float32Array, v: Float32Array, w: number): void {
  for (let c = 0; c < v.length; c++) out[c]! += w * v[c]!;
}

/** out[c] += wa × a[c], then out[c] += wb × b[c], for every column: two additions, one pass. */
function addScaledPair(out: Float32Array, a: Float32Array, wa: number, b: Float32Array, wb: number): void {
  // The store into `out` rounds the second sum; Math.fround rounds the first where `+=` would have.
  for (let c = 0; c < a.length; c++) out[c] = Math.fround(out[c]! + wa * a[c]!) + wb * b[c]!;
}

/**
 * Builds the blend over the given fitted components; components with weight 0 are skipped. Each
 * component's scores are normalised per user (min-max, or divided by the max) and added with its weight.
 * A request should cost few passes over the catalogue, so each kind of component takes its cheapest path:
 * - sparse ones (itemknn, sequence, EASE over its covered posts) only visit the posts they score;
 * - user-independent ones (popular) are normalised once here, and keyed ones (trend, which depends on the
 *   user only through their session's time bucket) once per key, on first use: one add pass each, and
 *   one for two of them when at most a sparse part lies between them in the blend order (`addRun`);
 * - the rest (content) cost a min/max pass and one fused normalise-and-add pass.
 * Every column still gets its components' additions in the map's order, one float32 rounding each, so
 * a user's scores are bit-identical whichever path a component took and whatever was cached.
 */
export function makeHybrid(
  components: ReadonlyMap<ComponentName, Recommender>,
  params: HybridParams,
  nPosts: number,
): HybridModel {
  const scratch = new Float32Array(nPosts);
  const sparse = new Float32Array(nPosts);
  const touched = new Int32Array(nPosts);
  const stash = new Float32Array(nPosts);
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
  // Normalised scores of keyed components per key (null: nothing to add for that key). Filled lazily:
  // most keys (trend buckets far in the past) may never be asked for; bounded by the model's key set.
  const normalisedByKey = new Map<ComponentName, Map<number, Float32Array | null>>();
  /** The normalised scores of a user-independent part for this history; null when it adds nothing. */
  const independentScores = ({ name, model }: Part, history: UserHistory): Float32Array | null => {
    if (model.staticScores) return normalisedStatic.get(name) ?? null;
    const key = model.scoreKey!(history);
    let cache = normalisedByKey.get(name);
    if (!cache) normalisedByKey.set(name, (cache = new Map()));
    let norm = cache.get(key);
    if (norm === undefined) {
      const s = new Float32Array(nPosts);
      const ok = model.scoreUser(history, s, scoreOptions(name)) && normalise(s, params.normalisation);
      norm = ok ? s : null;
      cache.set(key, norm);
    }
    return norm;
  };

  const partsOf = (weights: HybridWeights): Part[] =>
    [...components]
      .filter(([name]) => weights[name] > 0)
      .map(([name, model]) => ({ name, model, w: weights[name] }));
  const planOf = (weights: HybridWeights): Step[] => {
    const parts = partsOf(weights);
    const steps: Step[] = [];
    for (let i = 0; i < parts.length; i++) {
      const [p, q, r] = [parts[i]!, parts[i + 1], parts[i + 2]];
      if (isUserIndependent(p.model) && q) {
        if (isUserIndependent(q.model)) {
          steps.push({ first: p, between: null, second: q });
          i += 1;
          continue;
        }
        if (q.model.scoreSparse && r && isUserIndependent(r.model)) {
          steps.push({ first: p, between: q, second: r });
          i += 2;
          continue;
        }
      }
      steps.push({ part: p });
    }
    return steps;
  };
  const plans = { warm: planOf(params.weights), cold: planOf(params.coldWeights) };
  // Users with little or no history (≤ coldHistoryMax) get the cold weights: content neighbours and
  // popularity blended in (with no history at all only the user-independent parts can answer).
  const isCold = (history: UserHistory) => history.length <= params.coldHistoryMax;

  // What `scoreSparsePart` found, kept here rather than returned in a per-call object.
  let sparseCount = 0;
  let sparseLo = 0;
  let sparseScale = 0;
  /**
   * Scores a sparse part into `sparse`, listing its columns in `touched[0..sparseCount)` (the caller
   * re-zeroes them with `clearSparse`); its weighted, normalised contribution to a touched column c is
   * sparseScale × (sparse[c] − sparseLo). Returns false when it adds nothing.
   */
  function scoreSparsePart({ name, model, w }: Part, history: UserHistory): boolean {
    sparseCount = 0;
    const r = model.scoreSparse!(history, sparse, touched, scoreOptions(name));
    if (!r) return false;
    sparseCount = r.count;
    // Untouched columns score the floor, which counts towards the range only if there are any.
    let min = r.count < nPosts ? r.floor : Number.POSITIVE_INFINITY;
    let max = r.count < nPosts ? r.floor : Number.NEGATIVE_INFINITY;
    for (let t = 0; t < r.count; t++) {
      const v = sparse[touched[t]!]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (!(params.normalisation === 'max' ? max > 0 : max > min)) return false;
    // Untouched posts sit at the floor = the minimum, i.e. 0 after normalisation: nothing to add.
    sparseLo = params.normalisation === 'max' ? 0 : min;
    sparseScale = w / (max - sparseLo);
    return true;
  }
  function clearSparse(): void {
    for (let t = 0; t < sparseCount; t++) sparse[touched[t]!] = 0;
    sparseCount = 0;
  }

  /** Adds w × normalised(part) into `out`; false when the part had nothing to add. */
  function addPart(part: Part, history: UserHistory, out: Float32Array): boolean {
    const { name, model, w } = part;
    if (isUserIndependent(model)) {
      const norm = independentScores(part, history);
      if (!norm) return false;
      addScaled(out, norm, w);
      return true;
    }
    if (model.scoreSparse) {
      const added = scoreSparsePart(part, history);
      if (added) {
        for (let t = 0; t < sparseCount; t++) {
          const c = touched[t]!;
          out[c]! += sparseScale * (sparse[c]! - sparseLo);
        }
      }
      clearSparse();
      return added;
    }
    if (!model.scoreUser(history, scratch, scoreOptions(name))) return false;
    return addNormalised(out, scratch, w, params.normalisation);
  }

  /**
   * Adds a run (user-independent `first`, optional sparse `between`, user-independent `second`) in one
   * pass over the catalogue instead of two. The columns `between` touches get all three additions first,
   * in order, and are put back after the pass; every other column's `between` addition is +0, which
   * changes nothing, so the pass may add `first` and `second` straight after each other.
   */
  function addRun(
    first: Part,
    between: Part | null,
    second: Part,
    history: UserHistory,
    out: Float32Array,
  ): boolean {
    const a = independentScores(first, history);
    const b = independentScores(second, history);
    if (!a || !b) {
      // One of them adds nothing: there is no second pass to save.
      let any = false;
      for (const part of [first, between, second]) if (part && addPart(part, history, out)) any = true;
      return any;
    }
    const wa = first.w;
    const wb = second.w;
    const patch = between !== null && scoreSparsePart(between, history);
    const count = patch ? sparseCount : 0;
    for (let t = 0; t < count; t++) {
      const c = touched[t]!;
      const acc = Math.fround(Math.fround(out[c]! + wa * a[c]!) + sparseScale * (sparse[c]! - sparseLo));
      stash[t] = acc + wb * b[c]!;
    }
    addScaledPair(out, a, wa, b, wb);
    for (let t = 0; t < count; t++) out[touched[t]!] = stash[t]!;
    clearSparse();
    return true;
  }

  return {
    name: 'hybrid',
    params,
    scoreUser(history, out) {
      const plan = isCold(history) ? plans.cold : plans.warm;
      let any = false;
      let next = 0;
      const head = plan[0];
      if (head && 'part' in head && isDense(head.part.model)) {
        // A dense first part writes every column: let it score straight into `out` and normalise there,
        // which spares a zero fill and a pass over a second vector.
        const { name, model, w } = head.part;
        any =
          model.scoreUser(history, out, scoreOptions(name)) && normaliseInPlace(out, w, params.normalisation);
        next = 1;
      }
      if (!any) out.fill(0);
      for (let i = next; i < plan.length; i++) {
        const step = plan[i]!;
        const added =
          'part' in step
            ? addPart(step.part, history, out)
            : addRun(step.first, step.between, step.second, history, out);
        if (added) any = true;
      }
      return any;
    },
    contributions(history, cols) {
      const result = new Map<ComponentName, Float32Array>();
      const one = new Float32Array(nPosts);
      for (const part of partsOf(isCold(history) ? params.coldWeights : params.weights)) {
        one.fill(0);
        if (!addPart(part, history, one)) continue;
        result.set(
          part.name,
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
