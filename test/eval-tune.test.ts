import { describe, expect, it } from 'vitest';
import { splitByTime } from '../src/eval/split.js';
import { coordinateSearch, formatTuneResult, type TuneGrid, tune } from '../src/eval/tune.js';
import { type BuildOptions, buildSnapshot } from '../src/recommend/index.js';
import type { TrainingData } from '../src/recommend/types.js';
import { movieLens } from './support/movielens-fixture.js';

describe('coordinateSearch', () => {
  it('moves one axis at a time to its best value and stops when nothing improves', () => {
    const calls: string[] = [];
    // Separable optimum at a = 3, b = −1.
    const score = (p: { a: number; b: number }) => {
      calls.push(`${p.a},${p.b}`);
      return -((p.a - 3) ** 2) - (p.b + 1) ** 2;
    };
    const { best, score: s } = coordinateSearch({ a: 0, b: 0 }, { a: [1, 3, 5], b: [-1, 1] }, score, 3);
    expect(best).toEqual({ a: 3, b: -1 });
    expect(s).toBeCloseTo(0, 12);
    // Memoised: no point is scored twice.
    expect(new Set(calls).size).toBe(calls.length);
  });

  it('keeps the current value on a tie or a gain below minGain', () => {
    expect(coordinateSearch({ a: 1 }, { a: [2, 3] }, () => 0.5).best).toEqual({ a: 1 });
    const score = (p: { a: number }) => 0.2 + p.a * 0.0001;
    expect(coordinateSearch({ a: 1 }, { a: [2, 3] }, score, 1, 0.0005).best).toEqual({ a: 1 });
    expect(coordinateSearch({ a: 1 }, { a: [2, 30] }, score, 1, 0.0005).best).toEqual({ a: 30 });
  });
});

/** 40 users in two taste groups over 30 movies, each rating 12 movies in a fixed order. */
function synthetic(): TrainingData {
  const ratings: [number, number, number, number][] = [];
  for (let u = 1; u <= 40; u++) {
    const group = u % 2;
    for (let s = 0; s < 12; s++) {
      const item = group * 15 + ((u + s) % 15) + 1;
      ratings.push([u, item, s % 3 === 0 ? 3 : 5, 1_000 * u + s]);
    }
  }
  return movieLens(ratings, 30, (item) =>
    item <= 15 ? { name: 'Drama', id: 8 } : { name: 'Comedy', id: 5 },
  );
}

const tinyGrid: TuneGrid = {
  models: {
    ease: { lambda: [10, 50] },
    itemknn: { neighbours: [10], shrinkage: [0], weighted: [false] },
    content: { halfLifeSteps: [10] },
    sequence: { window: [3], decay: [0.9], backward: [0], lastItems: [10] },
    trend: { windowDays: [14] },
  },
  blend: [0, 1],
  recency: { halfLifeSteps: [Infinity, 5], recencyFloor: [0] },
  interactionWeights: [{ view: 1, like: 3, inspire: 4, rating: 2 }],
  halfLifeDays: [180],
};

describe('tune', () => {
  it('builds only on the validation training part, never on the test part, and reports the best settings', () => {
    const data = synthetic();
    const test = splitByTime(data, { positives: 'movielens' });
    const testKeys = new Set(test.heldOut.flatMap((u) => u.heldOut.map((p) => `${u.userId}:${p}`)));
    const validation = splitByTime(test.train, { positives: 'movielens' });
    const validationKeys = new Set(
      validation.heldOut.flatMap((u) => u.heldOut.map((p) => `${u.userId}:${p}`)),
    );
    let builds = 0;
    const spyBuild = (train: TrainingData, options: BuildOptions) => {
      builds++;
      for (let i = 0; i < train.interactions.length; i++) {
        const key = `${train.interactions.userId[i]}:${train.interactions.postId[i]}`;
        if (testKeys.has(key) || validationKeys.has(key)) throw new Error(`tuning saw held-out pair ${key}`);
      }
      return buildSnapshot(train, options);
    };
    const result = tune(data, { positives: 'movielens', grid: tinyGrid, blendRounds: 1, build: spyBuild });

    expect(builds).toBeGreaterThan(5);
    expect(result.validation.users).toBe(40);
    expect(tinyGrid.models.ease!.lambda).toContain(result.best.ease?.lambda);
    expect(result.best.models).toBeUndefined();
    expect(result.best.hybrid?.weights?.ease).toBe(1);
    expect(result.models.map((m) => m.model)).toContain('hybrid');
    expect(result.tuned.ndcg20).toBeGreaterThanOrEqual(0);
    expect(result.trials.length).toBeGreaterThan(5);
    const text = formatTuneResult(result);
    expect(text).toMatch(/hybrid NDCG@20 on validation: defaults \d\.\d{4} → tuned \d\.\d{4}/);
    expect(text).toMatch(/"lambda": (10|50)/);
  });

  it('stops when the time budget is spent and still returns settings no worse than the defaults', () => {
    const data = synthetic();
    const full = tune(data, { positives: 'movielens', grid: tinyGrid, blendRounds: 1 });
    expect(full.stoppedEarly).toBe(false);
    expect(full.tuned.ndcg20).toBeGreaterThanOrEqual(full.baseline.ndcg20);
    // A fake clock: one second passes per reading, so a 4 s budget allows only the first few trials.
    let clock = 0;
    const lines: string[] = [];
    const cut = tune(data, {
      positives: 'movielens',
      grid: tinyGrid,
      blendRounds: 1,
      budgetSeconds: 4,
      now: () => (clock += 1000),
      log: (line) => lines.push(line),
    });
    expect(cut.stoppedEarly).toBe(true);
    expect(cut.trials.length).toBeGreaterThan(0);
    expect(cut.trials.length).toBeLessThan(full.trials.length);
    expect(lines.some((l) => /budget of 4 s spent/.test(l))).toBe(true);
    expect(cut.tuned.ndcg20).toBeGreaterThanOrEqual(cut.baseline.ndcg20);
    expect(cut.baseline.ndcg20).toBeCloseTo(full.baseline.ndcg20, 12);
    expect(formatTuneResult(cut)).toMatch(/time budget spent/);
    // No budget at all: no trial, the defaults' blend.
    const none = tune(data, { positives: 'movielens', grid: tinyGrid, budgetSeconds: 0 });
    expect(none.trials).toEqual([]);
    expect(none.tuned.ndcg20).toBeCloseTo(none.baseline.ndcg20, 12);
  });
});
