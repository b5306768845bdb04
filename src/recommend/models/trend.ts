// Hybrid signal `trend`: what was popular in the days before the user's latest interaction, from
// per-bucket prefix sums so a request costs one subtraction per post.
import type { BuildContext } from '../base.js';
import { interactionWeight } from '../base.js';
import type { TrendParams } from '../defaults.js';
import type { UserHistory } from '../history.js';
import type { Recommender } from './recommender.js';

/** Fits the trend signal: (buckets + 1) × posts prefix sums of interaction weight over time buckets. */
export function fitTrend(ctx: BuildContext, params: TrendParams): Recommender {
  const { base, data, eventCol } = ctx;
  const ev = data.interactions;
  const nPosts = base.nPosts;
  let tMin = Number.POSITIVE_INFINITY;
  let tMax = base.now;
  for (let i = 0; i < ev.length; i++) {
    if (eventCol[i]! < 0) continue;
    const at = ev.at[i]!;
    if (at < tMin) tMin = at;
    if (at > tMax) tMax = at;
  }
  if (tMin === Number.POSITIVE_INFINITY) tMin = tMax;
  const width = Math.max(params.bucketHours * 3600, (tMax - tMin) / params.maxBuckets, 1);
  const nb = Math.floor((tMax - tMin) / width) + 1;
  const prefix = new Float32Array((nb + 1) * nPosts);
  for (let i = 0; i < ev.length; i++) {
    const c = eventCol[i]!;
    if (c < 0) continue;
    const b = Math.min(nb - 1, Math.floor((ev.at[i]! - tMin) / width));
    prefix[(b + 1) * nPosts + c]! += interactionWeight(base.weights, ev.kind[i]!, ev.ratingPercent[i]!);
  }
  for (let b = 1; b <= nb; b++) {
    const row = b * nPosts;
    const prev = row - nPosts;
    for (let c = 0; c < nPosts; c++) prefix[row + c]! += prefix[prev + c]!;
  }
  const windowBuckets = Math.max(1, Math.round((params.windowDays * 86_400) / width));
  /** The bucket holding the user's session time: the only thing the scores depend on. */
  const bucketOf = (history: UserHistory) =>
    Math.max(0, Math.min(nb - 1, Math.floor((history.time - tMin) / width)));

  return {
    name: 'trend',
    // At most nb ≤ maxBuckets + 1 keys, so a cache of one vector per key is no larger than `prefix`.
    scoreKey: bucketOf,
    scoreUser(history, out) {
      const bEnd = bucketOf(history);
      const bStart = Math.max(0, bEnd - windowBuckets + 1);
      const hi = (bEnd + 1) * nPosts;
      const lo = bStart * nPosts;
      for (let c = 0; c < nPosts; c++) out[c] = prefix[hi + c]! - prefix[lo + c]!;
      return true;
    },
    explain(history, col) {
      const bEnd = bucketOf(history);
      const bStart = Math.max(0, bEnd - windowBuckets + 1);
      const v = prefix[(bEnd + 1) * nPosts + col]! - prefix[bStart * nPosts + col]!;
      return `trend: ${v.toFixed(1)} interaction weight in the ${params.windowDays} days before your last visit`;
    },
  };
}
