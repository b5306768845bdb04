// Ranking metrics for the offline evaluation, as pure functions of a ranking and a relevant set.
//
// Conventions (the common ones for a full-catalogue, leave-last-out protocol):
// - Recall@K = hits in the top K / min(K, |relevant|), so a perfect top K scores 1 even when the
//   user has more than K positives;
// - NDCG@K uses binary gains 1/log2(rank + 1) (rank 1-based) and an ideal DCG over min(K, |relevant|);
// - coverage@K = distinct posts in the top K across users / catalogue size.
// An empty relevant set scores 0; the evaluation skips such users instead of averaging them in.

/**
 * Recall@K normalised by min(K, |relevant|).
 *
 * @example recallAtK([1, 2, 3], new Set([3, 9]), 2) // 0: neither 3 nor 9 is in the top 2
 */
export function recallAtK(ranked: readonly number[], relevant: ReadonlySet<number>, k: number): number {
  const denominator = Math.min(k, relevant.size);
  if (denominator === 0) return 0;
  let hits = 0;
  const depth = Math.min(k, ranked.length);
  for (let i = 0; i < depth; i++) if (relevant.has(ranked[i]!)) hits++;
  return hits / denominator;
}

/**
 * NDCG@K with binary gains; the ideal ranking puts min(K, |relevant|) positives first.
 *
 * @example ndcgAtK([5, 1], new Set([1]), 10) // (1/log2(3)) / 1 ≈ 0.631
 */
export function ndcgAtK(ranked: readonly number[], relevant: ReadonlySet<number>, k: number): number {
  const idealHits = Math.min(k, relevant.size);
  if (idealHits === 0) return 0;
  let dcg = 0;
  const depth = Math.min(k, ranked.length);
  for (let i = 0; i < depth; i++) if (relevant.has(ranked[i]!)) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  for (let i = 0; i < idealHits; i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

/**
 * Catalogue coverage@K: the share of the catalogue that appears in at least one user's top K.
 *
 * @example coverageAtK([[1, 2], [2, 3]], 10, 2) // 0.3
 */
export function coverageAtK(rankings: Iterable<readonly number[]>, catalogueSize: number, k: number): number {
  if (catalogueSize <= 0) return 0;
  const seen = new Set<number>();
  for (const ranked of rankings) {
    const depth = Math.min(k, ranked.length);
    for (let i = 0; i < depth; i++) seen.add(ranked[i]!);
  }
  return seen.size / catalogueSize;
}

/** Arithmetic mean; 0 for an empty list (the report also carries the user count). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
