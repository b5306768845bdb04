import { describe, expect, it } from 'vitest';
import { coverageAtK, mean, ndcgAtK, recallAtK } from '../src/eval/metrics.js';

// Hand-computed: ranking [1, 2, 3, 4, 5], positives {2, 5, 9}.
// DCG@3 = 1/log2(3) = 0.630930; IDCG@3 = 1 + 1/log2(3) + 1/log2(4) = 2.130930.
// DCG@5 = 1/log2(3) + 1/log2(6) = 0.630930 + 0.386853 = 1.017783.
const ranked = [1, 2, 3, 4, 5];
const relevant = new Set([2, 5, 9]);

describe('recallAtK', () => {
  it('divides the hits in the top K by min(K, |relevant|)', () => {
    expect(recallAtK(ranked, relevant, 3)).toBeCloseTo(1 / 3, 10);
    expect(recallAtK(ranked, relevant, 5)).toBeCloseTo(2 / 3, 10);
    expect(recallAtK(ranked, new Set([1]), 1)).toBe(1);
  });

  it('scores a perfect top K as 1 even when the user has more positives than K', () => {
    const many = new Set(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(recallAtK(ranked, many, 5)).toBe(1);
    expect(recallAtK(ranked, many, 10)).toBe(0.5); // 5 hits of min(10, 30): the list is short
  });

  it('scores 0 for no hits and for an empty relevant set', () => {
    expect(recallAtK(ranked, new Set([42]), 5)).toBe(0);
    expect(recallAtK(ranked, new Set(), 5)).toBe(0);
    expect(recallAtK([], relevant, 5)).toBe(0);
  });
});

describe('ndcgAtK', () => {
  it('uses binary gains discounted by log2(rank + 1) and an ideal DCG over min(K, |relevant|)', () => {
    expect(ndcgAtK(ranked, relevant, 3)).toBeCloseTo(0.63093 / 2.13093, 5);
    expect(ndcgAtK(ranked, relevant, 5)).toBeCloseTo(1.017783 / 2.13093, 5);
    // One positive at rank 2: (1/log2 3) / 1.
    expect(ndcgAtK([7, 1], new Set([1]), 10)).toBeCloseTo(0.63093, 5);
  });

  it('is 1 when the positives fill the top of the list', () => {
    expect(ndcgAtK([2, 5, 9, 1], relevant, 10)).toBeCloseTo(1, 12);
    expect(ndcgAtK([1, 2], new Set([1, 2, 3, 4]), 2)).toBeCloseTo(1, 12);
  });

  it('ignores positives below rank K', () => {
    expect(ndcgAtK([1, 2, 3, 4, 5], new Set([5]), 4)).toBe(0);
  });
});

describe('coverageAtK', () => {
  it('counts distinct posts in every top K over the catalogue size', () => {
    expect(coverageAtK([[1, 2, 3], [2, 3, 4], [9]], 10, 2)).toBeCloseTo(4 / 10, 12); // {1,2,3,9}
    expect(
      coverageAtK(
        [
          [1, 2, 3],
          [2, 3, 4],
        ],
        10,
        3,
      ),
    ).toBeCloseTo(4 / 10, 12);
    expect(coverageAtK([], 10, 20)).toBe(0);
  });
});

describe('mean', () => {
  it('averages and gives 0 for nothing', () => {
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(mean([])).toBe(0);
  });
});
