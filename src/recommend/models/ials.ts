// `ials` (Hu, Koren & Volinsky 2008): implicit-feedback matrix factorisation by alternating least squares,
// each row solved approximately by a few conjugate-gradient steps warm-started from its previous value
// (Takács, Pilászy & Tikk 2011), so a sweep costs O(rows·k² + nnz·k) rather than O(rows·k³).
import type { Csr } from '../csr.js';
import { defineModel } from '../model.js';
import { mulberry32 } from '../random.js';

/** Solved with a few conjugate-gradient steps per row. */
export interface IalsParams {
  factors: number;
  iterations: number;
  regularization: number;
  /** Confidence c = 1 + alpha · weight. */
  alpha: number;
  cgSteps: number;
  seed: number;
}

export interface IalsState {
  /** Row-major users × factors and posts × factors. */
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  /** Itemᵀ·item + λI (factors × factors), for folding a history in at request time. */
  readonly itemGram: Float64Array;
}

/** Gram matrix FᵀF + λI (k × k) of row-major factors F (rows × k). */
function gram(f: Float32Array, rows: number, k: number, lambda: number): Float64Array {
  const g = new Float64Array(k * k);
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    for (let a = 0; a < k; a++) {
      const fa = f[o + a]!;
      if (fa === 0) continue;
      const ga = a * k;
      for (let b = 0; b <= a; b++) g[ga + b]! += fa * f[o + b]!;
    }
  }
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < a; b++) g[b * k + a] = g[a * k + b]!;
    g[a * k + a]! += lambda;
  }
  return g;
}

/** Scratch vectors for one CG solve. */
class Solver {
  readonly x: Float64Array;
  readonly r: Float64Array;
  readonly p: Float64Array;
  readonly ap: Float64Array;
  constructor(readonly k: number) {
    this.x = new Float64Array(k);
    this.r = new Float64Array(k);
    this.p = new Float64Array(k);
    this.ap = new Float64Array(k);
  }

  /** out = (G + Σ_i (c_i − 1) f_i f_iᵀ) v over the row's entries. Inner loops unrolled by four. */
  private apply(
    g: Float64Array,
    fixed: Float32Array,
    cols: Int32Array,
    conf: Float32Array,
    start: number,
    end: number,
    v: Float64Array,
    out: Float64Array,
  ): void {
    const k = this.k;
    const k4 = k - (k % 4);
    // G·v four rows at a time: each v[b] load serves four multiply-adds.
    let a = 0;
    for (; a < k4; a += 4) {
      const g0 = a * k;
      const g1 = g0 + k;
      const g2 = g1 + k;
      const g3 = g2 + k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let b = 0; b < k; b++) {
        const x = v[b]!;
        s0 += g[g0 + b]! * x;
        s1 += g[g1 + b]! * x;
        s2 += g[g2 + b]! * x;
        s3 += g[g3 + b]! * x;
      }
      out[a] = s0;
      out[a + 1] = s1;
      out[a + 2] = s2;
      out[a + 3] = s3;
    }
    for (; a < k; a++) {
      let s = 0;
      for (let b = 0; b < k; b++) s += g[a * k + b]! * v[b]!;
      out[a] = s;
    }
    for (let q = start; q < end; q++) {
      const o = cols[q]! * k;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      a = 0;
      for (; a < k4; a += 4) {
        d0 += fixed[o + a]! * v[a]!;
        d1 += fixed[o + a + 1]! * v[a + 1]!;
        d2 += fixed[o + a + 2]! * v[a + 2]!;
        d3 += fixed[o + a + 3]! * v[a + 3]!;
      }
      for (; a < k; a++) d0 += fixed[o + a]! * v[a]!;
      const d = (d0 + d1 + d2 + d3) * (conf[q]! - 1);
      if (d === 0) continue;
      for (a = 0; a < k4; a += 4) {
        out[a]! += d * fixed[o + a]!;
        out[a + 1]! += d * fixed[o + a + 1]!;
        out[a + 2]! += d * fixed[o + a + 2]!;
        out[a + 3]! += d * fixed[o + a + 3]!;
      }
      for (; a < k; a++) out[a]! += d * fixed[o + a]!;
    }
  }

  /**
   * A few CG steps on (G + Σ (c−1) f fᵀ) x = Σ c f starting from `this.x`; `confOf` turns a stored
   * weight into a confidence.
   */
  solve(
    g: Float64Array,
    fixed: Float32Array,
    cols: Int32Array,
    conf: Float32Array,
    start: number,
    end: number,
    steps: number,
  ): void {
    const { k, x, r, p, ap } = this;
    this.apply(g, fixed, cols, conf, start, end, x, ap);
    for (let a = 0; a < k; a++) r[a] = -ap[a]!;
    for (let q = start; q < end; q++) {
      const o = cols[q]! * k;
      const c = conf[q]!;
      for (let a = 0; a < k; a++) r[a]! += c * fixed[o + a]!;
    }
    p.set(r);
    let rs = 0;
    for (let a = 0; a < k; a++) rs += r[a]! * r[a]!;
    for (let step = 0; step < steps && rs > 1e-12; step++) {
      this.apply(g, fixed, cols, conf, start, end, p, ap);
      let pap = 0;
      for (let a = 0; a < k; a++) pap += p[a]! * ap[a]!;
      if (!(pap > 0)) break;
      const alpha = rs / pap;
      let rsNew = 0;
      for (let a = 0; a < k; a++) {
        x[a]! += alpha * p[a]!;
        r[a]! -= alpha * ap[a]!;
        rsNew += r[a]! * r[a]!;
      }
      const beta = rsNew / rs;
      for (let a = 0; a < k; a++) p[a] = r[a]! + beta * p[a]!;
      rs = rsNew;
    }
  }
}

function sweep(
  target: Float32Array,
  fixed: Float32Array,
  fixedRows: number,
  m: Csr,
  conf: Float32Array,
  params: IalsParams,
  solver: Solver,
): void {
  const k = params.factors;
  const g = gram(fixed, fixedRows, k, params.regularization);
  for (let r = 0; r < m.rows; r++) {
    const start = m.indptr[r]!;
    const end = m.indptr[r + 1]!;
    const o = r * k;
    if (start === end) {
      target.fill(0, o, o + k);
      continue;
    }
    for (let a = 0; a < k; a++) solver.x[a] = target[o + a]!;
    solver.solve(g, fixed, m.indices, conf, start, end, params.cgSteps);
    for (let a = 0; a < k; a++) target[o + a] = solver.x[a]!;
  }
}

/** iALS with confidence 1 + alpha · weight; deterministic for a given seed; opt-in (build cost). */
export const ialsModel = defineModel({
  name: 'ials',
  optionsKey: 'ials',
  selectable: true,
  blend: { weight: 0, coldWeight: 0 },
  defaults: {
    factors: 64,
    iterations: 4,
    regularization: 5,
    alpha: 2,
    cgSteps: 2,
    seed: 42,
  } satisfies IalsParams as IalsParams,
  fit(ctx, params: IalsParams): IalsState {
    const { base } = ctx;
    const k = params.factors;
    const ui = base.userItems;
    const iu = base.itemUsers;
    const confUser = new Float32Array(ui.values.length);
    for (let q = 0; q < confUser.length; q++) confUser[q] = 1 + params.alpha * ui.values[q]!;
    const confItem = new Float32Array(iu.values.length);
    for (let q = 0; q < confItem.length; q++) confItem[q] = 1 + params.alpha * iu.values[q]!;
    const rand = mulberry32(params.seed);
    const scale = 1 / Math.sqrt(k);
    const userFactors = new Float32Array(base.nUsers * k);
    const itemFactors = new Float32Array(base.nPosts * k);
    for (let q = 0; q < itemFactors.length; q++) itemFactors[q] = (rand() - 0.5) * scale;
    const solver = new Solver(k);
    for (let it = 0; it < params.iterations; it++) {
      sweep(userFactors, itemFactors, base.nPosts, ui, confUser, params, solver);
      sweep(itemFactors, userFactors, base.nUsers, iu, confItem, params, solver);
    }
    return { userFactors, itemFactors, itemGram: gram(itemFactors, base.nPosts, k, params.regularization) };
  },
  score(state, env, history, out) {
    if (history.length === 0) return false;
    const { params, scratch, base } = env;
    const k = params.factors;
    const { userFactors, itemFactors, itemGram } = state;
    // Fold the history in: a few CG steps from the trained vector (or zero for an unknown user).
    const foldSolver = scratch.memo('ials.solver', () => new Solver(k));
    const foldConf = scratch.floats('ials.conf', history.length);
    for (let h = 0; h < history.length; h++) foldConf[h] = 1 + params.alpha * history.weights[h]!;
    const x = foldSolver.x;
    if (history.userRow >= 0) for (let a = 0; a < k; a++) x[a] = userFactors[history.userRow * k + a]!;
    else x.fill(0);
    foldSolver.solve(itemGram, itemFactors, history.cols, foldConf, 0, history.length, params.cgSteps * 2);
    const xf = scratch.floats('ials.x', k);
    for (let a = 0; a < k; a++) xf[a] = x[a]!;
    const k4 = k - (k % 4);
    for (let c = 0; c < base.nPosts; c++) {
      const o = c * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let a = 0;
      for (; a < k4; a += 4) {
        s0 += itemFactors[o + a]! * xf[a]!;
        s1 += itemFactors[o + a + 1]! * xf[a + 1]!;
        s2 += itemFactors[o + a + 2]! * xf[a + 2]!;
        s3 += itemFactors[o + a + 3]! * xf[a + 3]!;
      }
      for (; a < k; a++) s0 += itemFactors[o + a]! * xf[a]!;
      out[c] = s0 + s1 + s2 + s3;
    }
    return true;
  },
  explain(_state, env, _history, col) {
    return `ials: latent-factor match (post ${env.base.postIds[col]})`;
  },
});
