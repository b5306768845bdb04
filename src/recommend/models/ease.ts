// `ease` (Steck 2019): a closed-form item-item linear model, B = I − P·diag(1/diag(P)),
// P = (XᵀX + λI)⁻¹, dense over at most `maxItems` posts (the most interacted when the catalogue is larger).
import { FeedError } from '../../shared/errors.js';
import type { HistoryRecency } from '../defaults.js';
import type { UserHistory } from '../history.js';
import { recencyWeight } from '../history.js';
import { invertSpdInPlace } from '../linalg.js';
import { defineModel, type ModelEnv } from '../model.js';
import type { ScoreOptions } from './recommender.js';

/** B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹ over the `maxItems` most popular posts. */
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

export interface EaseState {
  /** Columns covered by the dense model, in model order. */
  readonly items: Int32Array;
  /** Column → position in `items`, −1 outside the model. */
  readonly local: Int32Array;
  /** items × items weights, row-major: B[a·n + b] = weight of history item a for item b; zero diagonal. */
  readonly weights: Float32Array;
}

/** Scores of the covered posts into a scratch vector; returns it and its minimum (and 0), or null. */
function scoreCovered(
  state: EaseState,
  env: ModelEnv<EaseParams>,
  history: UserHistory,
  options?: ScoreOptions,
): { scores: Float32Array; min: number } | null {
  const { items, local, weights } = state;
  const n = items.length;
  if (history.length === 0 || n === 0) return null;
  const { params } = env;
  const { halfLifeSteps, recencyFloor } = options?.recency ?? params;
  const scores = env.scratch.floats('ease.scores', n);
  scores.fill(0);
  let any = false;
  for (let h = 0; h < history.length; h++) {
    const a = local[history.cols[h]!]!;
    if (a < 0) continue;
    any = true;
    const x = params.weighted ? history.weights[h]! : 1;
    const w = recencyWeight(history.length, h, halfLifeSteps, recencyFloor) * x;
    const row = a * n;
    for (let b = 0; b < n; b++) scores[b]! += w * weights[row + b]!;
  }
  if (!any) return null;
  let min = 0;
  for (let b = 0; b < n; b++) if (scores[b]! < min) min = scores[b]!;
  return { scores, min };
}

export const easeModel = defineModel({
  name: 'ease',
  optionsKey: 'ease',
  selectable: true,
  blend: { weight: 1, coldWeight: 1, recency: { halfLifeSteps: 5, recencyFloor: 0.1 } },
  defaults: {
    lambda: 200,
    maxItems: 2000,
    strict: false,
    weighted: false,
    halfLifeSteps: Number.POSITIVE_INFINITY,
    recencyFloor: 0,
  } satisfies EaseParams as EaseParams,
  tune: { stage: 'standalone', grid: { lambda: [100, 200, 300, 500, 800, 1200] } },
  /** Throws `config_invalid` for a catalogue above `maxItems` when `strict`. */
  fit(ctx, params: EaseParams): EaseState {
    const { base } = ctx;
    const ui = base.userItems;
    const iu = base.itemUsers;
    const all = base.nPosts;
    let items: Int32Array;
    if (all <= params.maxItems) {
      items = new Int32Array(all).map((_, c) => c);
    } else if (params.strict) {
      throw new FeedError(
        'config_invalid',
        `ease is dense and supports at most ease.maxItems=${params.maxItems} posts, got ${all}; ` +
          'raise maxItems or allow restricting to the most interacted posts (strict: false)',
      );
    } else {
      const order = Array.from({ length: all }, (_, c) => c);
      const degree = (c: number) => iu.indptr[c + 1]! - iu.indptr[c]!;
      order.sort((a, b) => degree(b) - degree(a) || a - b);
      items = Int32Array.from(order.slice(0, params.maxItems)).sort();
    }
    const n = items.length;
    const local = new Int32Array(all).fill(-1);
    items.forEach((c, a) => {
      local[c] = a;
    });
    const x = (v: number) => (params.weighted ? v : 1);

    // Gram matrix G = XᵀX over the covered items (upper and lower), then G + λI.
    const g = new Float64Array(n * n);
    const rowLocal = new Int32Array(all);
    const rowX = new Float64Array(all);
    for (let u = 0; u < base.nUsers; u++) {
      let m = 0;
      for (let k = ui.indptr[u]!; k < ui.indptr[u + 1]!; k++) {
        const a = local[ui.indices[k]!]!;
        if (a < 0) continue;
        rowLocal[m] = a;
        rowX[m] = x(ui.values[k]!);
        m++;
      }
      for (let p = 0; p < m; p++) {
        const ra = rowLocal[p]! * n;
        const xa = rowX[p]!;
        for (let q = 0; q < m; q++) g[ra + rowLocal[q]!]! += xa * rowX[q]!;
      }
    }
    for (let a = 0; a < n; a++) g[a * n + a]! += params.lambda;
    if (n > 0) invertSpdInPlace(g, n);
    const weights = new Float32Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) weights[a * n + b] = a === b ? 0 : -g[a * n + b]! / g[b * n + b]!;
    }
    return { items, local, weights };
  },
  note: (state, base) =>
    state.items.length < base.nPosts
      ? `ease restricted to the ${state.items.length} most interacted of ${base.nPosts} posts (ease.maxItems)`
      : null,
  score(state, env, history, out, options) {
    const r = scoreCovered(state, env, history, options);
    if (r === null) return false;
    const { items } = state;
    // Posts outside the dense model rank below every covered post.
    if (items.length < env.base.nPosts) out.fill(r.min);
    for (let b = 0; b < items.length; b++) out[items[b]!] = r.scores[b]!;
    return true;
  },
  scoreSparse(state, env, history, out, touched, options) {
    const r = scoreCovered(state, env, history, options);
    if (r === null) return null;
    const { items } = state;
    for (let b = 0; b < items.length; b++) {
      out[items[b]!] = r.scores[b]!;
      touched[b] = items[b]!;
    }
    return { count: items.length, floor: r.min };
  },
  explain(state, env, history, col) {
    const { local, weights, items } = state;
    const n = items.length;
    const b = local[col]!;
    if (b < 0) return 'ease: post outside the dense model';
    let best = -1;
    let bestW = 0;
    for (let h = 0; h < history.length; h++) {
      const a = local[history.cols[h]!]!;
      if (a >= 0 && weights[a * n + b]! > bestW) {
        bestW = weights[a * n + b]!;
        best = history.cols[h]!;
      }
    }
    return best < 0
      ? 'ease: no positive link from your history'
      : `ease: strongest link from post ${env.base.postIds[best]} (${bestW.toFixed(4)})`;
  },
});
