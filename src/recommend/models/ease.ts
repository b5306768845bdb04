// `ease` (Steck 2019): a closed-form item-item linear model, B = I − P·diag(1/diag(P)),
// P = (XᵀX + λI)⁻¹, dense over at most `maxItems` posts (the most interacted when the catalogue is larger).

import { FeedError } from '../../shared/errors.js';
import type { BuildContext } from '../base.js';
import type { EaseParams } from '../defaults.js';
import type { UserHistory } from '../history.js';
import { recencyWeight } from '../history.js';
import { invertSpdInPlace } from '../linalg.js';
import type { Recommender, ScoreOptions } from './recommender.js';

export interface EaseModel extends Recommender {
  /** Columns covered by the dense model, in model order. */
  readonly items: Int32Array;
  /** items × items weights, row-major: B[a·n + b] = weight of history item a for item b; zero diagonal. */
  readonly weights: Float32Array;
}

/** Fits EASE. Throws `config_invalid` for a catalogue above `maxItems` when `strict`. */
export function fitEase(ctx: BuildContext, params: EaseParams): EaseModel {
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

  const scratch = new Float32Array(n);
  /** Scores of the covered posts into `scratch`; returns their minimum (and 0), or null. */
  const score = (history: UserHistory, options?: ScoreOptions): number | null => {
    if (history.length === 0 || n === 0) return null;
    const { halfLifeSteps, recencyFloor } = options?.recency ?? params;
    scratch.fill(0);
    let any = false;
    for (let h = 0; h < history.length; h++) {
      const a = local[history.cols[h]!]!;
      if (a < 0) continue;
      any = true;
      const w = recencyWeight(history.length, h, halfLifeSteps, recencyFloor) * x(history.weights[h]!);
      const row = a * n;
      for (let b = 0; b < n; b++) scratch[b]! += w * weights[row + b]!;
    }
    if (!any) return null;
    let min = 0;
    for (let b = 0; b < n; b++) if (scratch[b]! < min) min = scratch[b]!;
    return min;
  };
  return {
    name: 'ease',
    items,
    weights,
    scoreUser(history, out, options) {
      const min = score(history, options);
      if (min === null) return false;
      // Posts outside the dense model rank below every covered post.
      if (n < all) out.fill(min);
      for (let b = 0; b < n; b++) out[items[b]!] = scratch[b]!;
      return true;
    },
    scoreSparse(history, out, touched, options) {
      const min = score(history, options);
      if (min === null) return null;
      for (let b = 0; b < n; b++) {
        out[items[b]!] = scratch[b]!;
        touched[b] = items[b]!;
      }
      return { count: n, floor: min };
    },
    explain(history, col) {
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
        : `ease: strongest link from post ${base.postIds[best]} (${bestW.toFixed(4)})`;
    },
  };
}
