// `itemknn`: item-item cosine similarity with shrinkage, k neighbours per item, computed sparsely from
// the post → users and user → posts matrices; a user's score sums the neighbours of their history.
import type { ColumnIndices, Csr } from '../csr.js';
import type { HistoryRecency } from '../defaults.js';
import type { UserHistory } from '../history.js';
import { recencyWeight } from '../history.js';
import { defineModel, type ModelEnv } from '../model.js';
import { buildNeighbourRows, neighbourValue, SparseAccumulator } from './neighbours.js';
import type { ScoreOptions, SparseScores } from './recommender.js';

/** `itemknn`: item-item cosine with shrinkage, `neighbours` kept per item. */
export interface ItemKnnParams extends HistoryRecency {
  neighbours: number;
  shrinkage: number;
  /** Use interaction weights in the similarity (false: binary co-occurrence). */
  weighted: boolean;
}

export interface ItemKnnState {
  /** Item × item similarities (k per row, columns ascending). */
  readonly similarity: Csr<ColumnIndices>;
}

function accumulate(
  state: ItemKnnState,
  env: ModelEnv<ItemKnnParams>,
  history: UserHistory,
  acc: SparseAccumulator,
  options?: ScoreOptions,
): SparseScores | null {
  if (history.length === 0) return null;
  const { params } = env;
  const { halfLifeSteps, recencyFloor } = options?.recency ?? params;
  for (let h = 0; h < history.length; h++) {
    const x = params.weighted ? history.weights[h]! : 1;
    acc.addRow(
      state.similarity,
      history.cols[h]!,
      recencyWeight(history.length, h, halfLifeSteps, recencyFloor) * x,
    );
  }
  acc.release();
  return { count: acc.count, floor: 0 };
}

/**
 * sim(i, j) = Σ_u x_ui·x_uj / (‖x_i‖·‖x_j‖ + shrinkage), x binary or weighted; the top `neighbours` per i.
 * score(j) = Σ_{h ∈ history} recency(h) · x_h · sim(h, j).
 */
export const itemKnnModel = defineModel({
  name: 'itemknn',
  optionsKey: 'itemknn',
  selectable: true,
  blend: { weight: 0.5, coldWeight: 0.5, recency: { halfLifeSteps: 3, recencyFloor: 0.05 } },
  defaults: {
    neighbours: 400,
    shrinkage: 3,
    weighted: true,
    halfLifeSteps: Number.POSITIVE_INFINITY,
    recencyFloor: 0,
  } satisfies ItemKnnParams as ItemKnnParams,
  tune: {
    stage: 'standalone',
    grid: { neighbours: [50, 100, 200, 400], shrinkage: [0, 3, 10, 50], weighted: [false, true] },
  },
  fit(ctx, params: ItemKnnParams): ItemKnnState {
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
    return { similarity };
  },
  score(state, env, history, out, options) {
    out.fill(0);
    const n = env.base.nPosts;
    const acc = new SparseAccumulator(
      out,
      env.scratch.ints('itemknn.touched', n),
      env.scratch.bytes('itemknn.mark', n),
    );
    return accumulate(state, env, history, acc, options) !== null;
  },
  scoreSparse(state, env, history, out, touched, options) {
    const acc = new SparseAccumulator(out, touched, env.scratch.bytes('itemknn.mark', env.base.nPosts));
    return accumulate(state, env, history, acc, options);
  },
  explain(state, env, history, col) {
    let best = -1;
    let bestSim = 0;
    for (let h = 0; h < history.length; h++) {
      const s = neighbourValue(state.similarity, history.cols[h]!, col);
      if (s > bestSim) {
        bestSim = s;
        best = history.cols[h]!;
      }
    }
    return best < 0
      ? 'itemknn: no similar post in your history'
      : `itemknn: similar to post ${env.base.postIds[best]} (cosine ${bestSim.toFixed(3)})`;
  },
});
