import { describe, expect, it } from 'vitest';
import { snapshotRecommender } from '../src/eval/recommender.js';
import { formatReport } from '../src/eval/report.js';
import { type BuildRecommender, evaluate } from '../src/eval/run.js';
import type { TrainingData } from '../src/recommend/types.js';
import { movieLens as movieLensFixture, type Rating } from './support/movielens-fixture.js';

const movieLens = (ratings: Rating[], catalogue = 10): TrainingData => movieLensFixture(ratings, catalogue);

// Users 1, 2, 5 are tested with positives; user 3's held-out rating is 2 stars (skipped); user 4 has
// three events (not tested). Held out: user 1 → post 5, user 2 → post 6, user 5 → posts 9 and 10.
const ratings: Rating[] = [
  ...[1, 2, 3, 4, 5].map((p, i): Rating => [1, p, 5, i]),
  ...[2, 3, 4, 5, 6].map((p, i): Rating => [2, p, 5, i]),
  ...[1, 2, 3, 4, 5].map((p, i): Rating => [3, p, i === 4 ? 2 : 5, i]),
  ...[1, 2, 3].map((p, i): Rating => [4, p, 5, i]),
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((p, i): Rating => [5, p, 5, i]),
];
const data = movieLens(ratings);

/** Two hand-checkable models: `fixed` ranks posts 10, 9, …, 1; `leaky` ranks 1…10 without removing seen posts. */
const toyRecommender: BuildRecommender = (train) => {
  const seen = new Map<number, Set<number>>();
  for (let i = 0; i < train.interactions.length; i++) {
    const user = train.interactions.userId[i]!;
    if (!seen.has(user)) seen.set(user, new Set());
    seen.get(user)!.add(train.interactions.postId[i]!);
  }
  return {
    models: ['fixed', 'leaky'],
    rank(model, userId, k) {
      if (model === 'leaky') return [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].slice(0, k);
      return [10, 9, 8, 7, 6, 5, 4, 3, 2, 1].filter((p) => !seen.get(userId)?.has(p)).slice(0, k);
    },
  };
};

describe('evaluate', () => {
  const report = evaluate(data, {
    positives: 'movielens',
    coldThreshold: 4,
    buildRecommender: toyRecommender,
  });
  const fixed = report.models.find((m) => m.model === 'fixed')!;

  it('averages over tested users with held-out positives only', () => {
    expect(report.split).toMatchObject({
      testedUsers: 4,
      evaluatedUsers: 3,
      coldUsers: 2,
      heldOutPositives: 4,
    });
    expect(fixed.all.users).toBe(3);
  });

  it('scores a known ranking exactly: Recall@K, NDCG@K and coverage over the unseen catalogue', () => {
    // user 1: [10,9,8,7,6,5] → post 5 at rank 6; user 2: [10,9,8,7,6,1] → post 6 at rank 5;
    // user 5: [10,9] → both positives at ranks 1–2.
    const u1 = 1 / Math.log2(7);
    const u2 = 1 / Math.log2(6);
    expect(fixed.all.recall10).toBe(1);
    expect(fixed.all.recall20).toBe(1);
    expect(fixed.all.ndcg10).toBeCloseTo((u1 + u2 + 1) / 3, 10);
    expect(fixed.all.ndcg20).toBeCloseTo((u1 + u2 + 1) / 3, 10);
    expect(fixed.all.coverage20).toBeCloseTo(7 / 10, 10); // {1, 5, 6, 7, 8, 9, 10}
    expect(fixed.invalidItems).toBe(0);
  });

  it('reports cold users (at most coldThreshold training events) separately', () => {
    expect(fixed.cold.users).toBe(2); // users 1 and 2 keep 4 training events; user 5 keeps 8
    expect(fixed.cold.ndcg20).toBeCloseTo((1 / Math.log2(7) + 1 / Math.log2(6)) / 2, 10);
    expect(fixed.cold.coverage20).toBeCloseTo(7 / 10, 10);
  });

  it('drops seen posts a model returns and counts them against it', () => {
    const leaky = report.models.find((m) => m.model === 'leaky')!;
    expect(leaky.invalidItems).toBe(4 + 4 + 8);
    // What is left: user 1 [5,…] hit at 1; user 2 [1,6,…] hit at 2; user 5 [9,10] hits at 1–2.
    expect(leaky.all.ndcg10).toBeCloseTo((1 + 1 / Math.log2(3) + 1) / 3, 10);
  });

  it('is JSON-serialisable as it is', () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('formats the models as rows of an aligned table, with a cold-user table', () => {
    const text = formatReport(report);
    expect(text).toMatch(/^model +users +Recall@10 +NDCG@10 +Recall@20 +NDCG@20 +Coverage@20$/m);
    expect(text).toMatch(/^fixed +3 +1\.0000 +0\.5810 +1\.0000 +0\.5810 +0\.7000$/m);
    expect(text).toMatch(/^cold users \(≤ 4 training events\)$/m);
    expect(text).toMatch(/^fixed +2 +1\.0000 +0\.3715 /m);
    expect(text).toMatch(/warning: leaky returned 16 seen or repeated posts/);
    const header = text.split('\n').find((l) => l.startsWith('model'))!;
    const row = text.split('\n').find((l) => l.startsWith('fixed'))!;
    expect(row.length).toBe(header.length);
  });

  it('evaluates only the requested models, in the requested order', () => {
    const only = evaluate(data, {
      positives: 'movielens',
      models: ['leaky', 'fixed'],
      buildRecommender: toyRecommender,
    });
    expect(only.models.map((m) => m.model)).toEqual(['leaky', 'fixed']);
    expect(() => evaluate(data, { models: ['ease'], buildRecommender: toyRecommender })).toThrow(
      /unknown model ease; accepted: fixed, leaky/,
    );
  });

  it('builds on the training part only, and on the validation split never sees the test part', () => {
    const seenRows: number[] = [];
    const spy: BuildRecommender = (train) => {
      seenRows.push(train.interactions.length);
      for (let i = 0; i < train.interactions.length; i++) {
        const key = `${train.interactions.userId[i]}:${train.interactions.postId[i]}`;
        expect(['1:5', '2:6', '3:5', '5:9', '5:10']).not.toContain(key);
      }
      return toyRecommender(train);
    };
    const test = evaluate(data, { positives: 'movielens', buildRecommender: spy });
    const validation = evaluate(data, { positives: 'movielens', split: 'validation', buildRecommender: spy });
    expect(validation.protocol.split).toBe('validation');
    // Validation: users 1, 2, 3 have 4 training events (< 5) so only user 5 is tested, on posts 7–8.
    expect(validation.split.testedUsers).toBe(1);
    expect(seenRows[1]).toBeLessThan(seenRows[0]!);
    expect(test.split.testedUsers).toBe(4);
  });

  it('rejects a negative cold threshold', () => {
    expect(() => evaluate(data, { coldThreshold: -1, buildRecommender: toyRecommender })).toThrow(
      /cold threshold must be a non-negative integer, got -1/,
    );
  });
});

describe('evaluate with the recommend module', () => {
  it('ranks with the real snapshot: popular on a hand-checkable catalogue', () => {
    // Training popularity: posts 1–3 by three users, post 4 by two, post 5 by one, post 6 by none.
    // Held out: user 1 → 5, user 2 → 6, user 3 → 6. Rankings of unseen posts: user 1 [5, 6],
    // user 2 [5, 6], user 3 [4, 6] → NDCG 1, 1/log2(3), 1/log2(3).
    const small = movieLens(
      [
        ...[1, 2, 3, 4, 5].map((p, i): Rating => [1, p, 5, i + 1]),
        ...[1, 2, 3, 4, 6].map((p, i): Rating => [2, p, 5, i + 1]),
        ...[1, 2, 3, 5, 6].map((p, i): Rating => [3, p, 5, i + 1]),
      ],
      6,
    );
    const report = evaluate(small, {
      positives: 'movielens',
      models: ['popular'],
      buildRecommender: snapshotRecommender({ build: { models: ['popular'] } }),
    });
    const popular = report.models[0]!;
    expect(popular.invalidItems).toBe(0);
    expect(popular.all.ndcg20).toBeCloseTo((1 + 2 / Math.log2(3)) / 3, 6);
    expect(popular.all.recall20).toBe(1);
    expect(popular.all.coverage20).toBeCloseTo(3 / 6, 10); // {4, 5, 6}
  });
});
