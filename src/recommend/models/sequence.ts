// Hybrid signal `sequence`: "what people interact with next": for each post, the posts that followed it
// within a few steps in users' time-ordered histories; a user's score starts from their latest posts.
import type { BuildContext } from '../base.js';
import type { SequenceParams } from '../defaults.js';
import type { UserHistory } from '../history.js';
import { recencyWeight } from '../history.js';
import { buildNeighbourRows, neighbourValue, SparseAccumulator } from './neighbours.js';
import type { Recommender, SparseScores } from './recommender.js';

/**
 * T(i → j) = Σ_{users} decay^(d−1) over occurrences of j d ≤ window steps after i, divided by
 * (count(i) + shrinkage): an estimate of "j comes next after i". Top `neighbours` per i kept.
 * score(j) = Σ over the `lastItems` newest history entries h of recency(h) · T(h → j).
 */
export function fitSequence(ctx: BuildContext, params: SequenceParams): Recommender {
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

  const markScratch = new Uint8Array(base.nPosts);
  const touchedScratch = new Int32Array(base.nPosts);
  const score = (history: UserHistory, acc: SparseAccumulator): SparseScores | null => {
    if (history.length === 0) return null;
    const first = Math.max(0, history.length - params.lastItems);
    for (let h = first; h < history.length; h++) {
      const w = recencyWeight(history.length, h, params.halfLifeSteps, params.recencyFloor);
      acc.addRow(next, history.cols[h]!, w);
    }
    acc.release();
    return { count: acc.count, floor: 0 };
  };

  return {
    name: 'sequence',
    scoreUser(history, out) {
      out.fill(0);
      return score(history, new SparseAccumulator(out, touchedScratch, markScratch)) !== null;
    },
    scoreSparse(history, out, touched) {
      return score(history, new SparseAccumulator(out, touched, markScratch));
    },
    explain(history, col) {
      for (let h = history.length - 1; h >= Math.max(0, history.length - params.lastItems); h--) {
        const v = neighbourValue(next, history.cols[h]!, col);
        if (v > 0)
          return `sequence: often next after post ${base.postIds[history.cols[h]!]} (${v.toFixed(3)})`;
      }
      return 'sequence: no strong "next" link from your latest posts';
    },
  };
}
