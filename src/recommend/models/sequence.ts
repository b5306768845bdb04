// Hybrid signal `sequence`: "what people interact with next": for each post, the posts that followed it
// within a few steps in users' time-ordered histories; a user's score starts from their latest posts.
import type { ColumnIndices, Csr } from '../csr.js';
import type { HistoryRecency } from '../defaults.js';
import type { UserHistory } from '../history.js';
import { recencyWeight } from '../history.js';
import { defineModel, type ModelEnv } from '../model.js';
import { buildNeighbourRows, neighbourValue, SparseAccumulator } from './neighbours.js';
import type { SparseScores } from './recommender.js';

export interface SequenceParams extends HistoryRecency {
  /** How many following interactions count as "next". */
  window: number;
  /** Weight of the d-th next interaction: decay^(d−1). */
  decay: number;
  neighbours: number;
  /** Added to a post's count before normalising (damps rare posts). */
  shrinkage: number;
  /** How many of the user's latest interactions seed the score. */
  lastItems: number;
  /** Weight of "came just before" relative to "came next" (0: next only). */
  backward: number;
}

export interface SequenceState {
  /** T(i → j), top `neighbours` per i, columns ascending. */
  readonly next: Csr<ColumnIndices>;
}

function accumulate(
  state: SequenceState,
  env: ModelEnv<SequenceParams>,
  history: UserHistory,
  acc: SparseAccumulator,
): SparseScores | null {
  if (history.length === 0) return null;
  const { params } = env;
  const first = Math.max(0, history.length - params.lastItems);
  for (let h = first; h < history.length; h++) {
    const w = recencyWeight(history.length, h, params.halfLifeSteps, params.recencyFloor);
    acc.addRow(state.next, history.cols[h]!, w);
  }
  acc.release();
  return { count: acc.count, floor: 0 };
}

/**
 * T(i → j) = Σ_{users} decay^(d−1) over occurrences of j d ≤ window steps after i, divided by
 * (count(i) + shrinkage): an estimate of "j comes next after i". Top `neighbours` per i kept.
 * score(j) = Σ over the `lastItems` newest history entries h of recency(h) · T(h → j).
 */
export const sequenceModel = defineModel({
  name: 'sequence',
  optionsKey: 'sequence',
  selectable: false,
  blend: { weight: 0.25, coldWeight: 0.25 },
  defaults: {
    window: 10,
    decay: 0.9,
    neighbours: 200,
    shrinkage: 5,
    lastItems: 20,
    backward: 0,
    halfLifeSteps: 5,
    recencyFloor: 0,
  } satisfies SequenceParams as SequenceParams,
  tune: {
    stage: 'hybrid',
    grid: { window: [5, 10, 20], decay: [0.7, 0.9, 1], backward: [0, 0.5, 1], lastItems: [5, 10, 20, 40] },
  },
  fit(ctx, params: SequenceParams): SequenceState {
    const { base } = ctx;
    const ui = base.userItems;
    const iu = base.itemUsers;
    const stepWeight = new Float32Array(params.window + 1);
    for (let d = 1; d <= params.window; d++) stepWeight[d] = params.decay ** (d - 1);
    const next = buildNeighbourRows(
      base.nPosts,
      params.neighbours,
      (i, acc) => {
        for (let k = iu.indptr[i]!; k < iu.indptr[i + 1]!; k++) {
          const u = iu.indices[k]!;
          const pos = iu.origin[k]!;
          const end = Math.min(ui.indptr[u + 1]!, pos + params.window + 1);
          for (let q = pos + 1; q < end; q++) acc.add(ui.indices[q]!, stepWeight[q - pos]!);
          if (params.backward > 0) {
            const begin = Math.max(ui.indptr[u]!, pos - params.window);
            for (let q = begin; q < pos; q++) acc.add(ui.indices[q]!, params.backward * stepWeight[pos - q]!);
          }
        }
      },
      (i, _j, raw) => raw / (iu.indptr[i + 1]! - iu.indptr[i]! + params.shrinkage),
    );
    return { next };
  },
  score(state, env, history, out) {
    out.fill(0);
    const n = env.base.nPosts;
    const acc = new SparseAccumulator(
      out,
      env.scratch.ints('sequence.touched', n),
      env.scratch.bytes('sequence.mark', n),
    );
    return accumulate(state, env, history, acc) !== null;
  },
  scoreSparse(state, env, history, out, touched) {
    return accumulate(
      state,
      env,
      history,
      new SparseAccumulator(out, touched, env.scratch.bytes('sequence.mark', env.base.nPosts)),
    );
  },
  explain(state, env, history, col) {
    const { lastItems } = env.params;
    for (let h = history.length - 1; h >= Math.max(0, history.length - lastItems); h--) {
      const v = neighbourValue(state.next, history.cols[h]!, col);
      if (v > 0)
        return `sequence: often next after post ${env.base.postIds[history.cols[h]!]} (${v.toFixed(3)})`;
    }
    return 'sequence: no strong "next" link from your latest posts';
  },
});
