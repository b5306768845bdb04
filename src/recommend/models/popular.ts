// `popular`: time-decayed popularity plus a freshness bonus; the same list for everyone (cold start).
import type { BuildContext } from '../base.js';
import { decay, interactionWeight } from '../base.js';
import type { PopularParams } from '../defaults.js';
import type { Recommender } from './recommender.js';

export interface PopularModel extends Recommender {
  /** Popularity in [0, 1] (most popular = 1) plus the freshness bonus, per column. */
  readonly scores: Float32Array;
}

/**
 * score(post) = Σ weight(interaction) · 2^(−age/halfLife) / max over posts
 *             + freshnessWeight · 2^(−postAge/freshnessHalfLife).
 */
export function fitPopular(ctx: BuildContext, params: PopularParams): PopularModel {
  const { base, data, eventCol } = ctx;
  const ev = data.interactions;
  const pop = new Float64Array(base.nPosts);
  for (let i = 0; i < ev.length; i++) {
    const c = eventCol[i]!;
    if (c < 0) continue;
    const w = interactionWeight(base.weights, ev.kind[i]!, ev.ratingPercent[i]!);
    pop[c]! += w * decay(base.now - ev.at[i]!, params.halfLifeDays);
  }
  let max = 0;
  for (let c = 0; c < base.nPosts; c++) if (pop[c]! > max) max = pop[c]!;
  const scores = new Float32Array(base.nPosts);
  for (let c = 0; c < base.nPosts; c++) {
    const created = base.postCreatedAt[c]!;
    const fresh = Number.isNaN(created) ? 0 : decay(base.now - created, params.freshnessHalfLifeDays);
    scores[c] = (max > 0 ? pop[c]! / max : 0) + params.freshnessWeight * fresh;
  }
  return {
    name: 'popular',
    scores,
    staticScores: scores,
    scoreUser(_history, out) {
      out.set(scores);
      return true;
    },
    explain(_history, col) {
      return `popular: trending score ${scores[col]!.toFixed(3)}`;
    },
  };
}
