// `popular`: time-decayed popularity plus a freshness bonus; the same list for everyone (cold start).
import { decay, interactionWeight } from '../base.js';
import { defineModel } from '../model.js';

export interface PopularParams {
  /** Half-life (days) of an interaction's contribution to popularity. */
  halfLifeDays: number;
  /** Bonus at creation time, relative to the most popular post's normalised score of 1. */
  freshnessWeight: number;
  /** Half-life (days) of the freshness bonus. */
  freshnessHalfLifeDays: number;
}

export interface PopularState {
  /** Popularity in [0, 1] (most popular = 1) plus the freshness bonus, per column. */
  readonly scores: Float32Array;
}

/**
 * score(post) = Σ weight(interaction) · 2^(−age/halfLife) / max over posts
 *             + freshnessWeight · 2^(−postAge/freshnessHalfLife).
 */
export const popularModel = defineModel({
  name: 'popular',
  optionsKey: 'popular',
  selectable: true,
  blend: { weight: 0.02, coldWeight: 0.2 },
  defaults: { halfLifeDays: 14, freshnessWeight: 0.2, freshnessHalfLifeDays: 3 } satisfies PopularParams,
  fit(ctx, params: PopularParams): PopularState {
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
    return { scores };
  },
  score(state, _env, _history, out) {
    out.set(state.scores);
    return true;
  },
  staticScores: (state) => state.scores,
  explain(state, _env, _history, col) {
    return `popular: trending score ${state.scores[col]!.toFixed(3)}`;
  },
});
