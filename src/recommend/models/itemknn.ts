// `itemknn`: item-item cosine similarity with shrinkage, k neighbours per item, computed sparsely from
// the post → users and user → posts matrices; a user's score sums the neighbours of their history.
import type { BuildContext } from '../base.js';
import type { Csr } from '../csr.js';
import type { ItemKnnParams } from '../defaults.js';
import type { UserHistory } from '../history.js';
import { recencyWeight } from '../history.js';
import { buildNeighbourRows, neighbourValue, SparseAccumulator } from './neighbours.js';
import type { Recommender, ScoreOptions, SparseScores } from './recommender.js';

export interface ItemKnnModel extends Recommender {
  /** Item × item similarities (k per row, columns ascending). */
  readonly similarity: Csr;
}

/**
 * sim(i, j) = Σ_u x_ui·x_uj / (‖x_i‖·‖x_j‖ + shrinkage), x binary or weighted; the top `neighbours` per i.
 * score(j) = Σ_{h ∈ history} recency(h) · x_h · sim(h, j).
 */
export function fitItemKnn(ctx: BuildContext, params: ItemKnnParams): ItemKnnModel {
  const { base } = ctx;
  const ui = base.userItems;
  const iu = base.itemUsers;
  const x = (v: number) => (params.weighted ? v : 1);
  const norms = new Float64Array(base.nPosts);
  for (let i = 0; i < base.nPosts; i++) {
    let s = 0;
    for (let k = iu.indptr[i]!; k < iu.indptr[i + 1]!; k++) s += x(iu.values[k]!) ** 2;
    norms[i] = Math.sqrt(s);
  }
  const similarity = buildNeighbourRows(
    base.nPosts,
    params.neighbours,
    (i, acc) => {
      for (let k = iu.indptr[i]!; k < iu.indptr[i + 1]!; k++) {
        const u = iu.indices[k]!;
        const xi = x(iu.values[k]!);
        for (let q = ui.indptr[u]!; q < ui.indptr[u + 1]!; q++)
          acc.add(ui.indices[q]!, xi * x(ui.values[q]!));
      }
    },
    (i, j, raw) => raw / (norms[i]! * norms[j]! + params.shrinkage),
  );

  const markScratch = new Uint8Array(base.nPosts);
  const touchedScratch = new Int32Array(base.nPosts);
  const score = (
    history: UserHistory,
    acc: SparseAccumulator,
    options?: ScoreOptions,
  ): SparseScores | null => {
    if (history.length === 0) return null;
    const { halfLifeSteps, recencyFloor } = options?.recency ?? params;
    for (let h = 0; h < history.length; h++) {
      const w = recencyWeight(history.length, h, halfLifeSteps, recencyFloor) * x(history.weights[h]!);
      acc.addRow(similarity, history.cols[h]!, w);
    }
    acc.release();
    return { count: acc.count, floor: 0 };
  };

  return {
    name: 'itemknn',
    similarity,
    scoreUser(history, out, options) {
      out.fill(0);
      return score(history, new SparseAccumulator(out, touchedScratch, markScratch), options) !== null;
    },
    scoreSparse(history, out, touched, options) {
      return score(history, new SparseAccumulator(out, touched, markScratch), options);
    },
    explain(history, col) {
      let best = -1;
      let bestSim = 0;
      for (let h = 0; h < history.length; h++) {
        const s = neighbourValue(similarity, history.cols[h]!, col);
        if (s > bestSim) {
          bestSim = s;
          best = history.cols[h]!;
        }
      }
      return best < 0
        ? 'itemknn: no similar post in your history'
        : `itemknn: similar to post ${base.postIds[best]} (cosine ${bestSim.toFixed(3)})`;
    },
  };
}
