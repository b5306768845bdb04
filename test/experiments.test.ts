// Experiments configuration and assignment: validation naming each problem, JSON text or file, the FNV-1a
// hash against its published test vectors, deterministic assignment, shares respected over 10k ids.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bucketOf,
  type ExperimentInput,
  Experiments,
  fnv1a32,
  parseExperiments,
  validateExperiments,
} from '../src/server/experiments.js';

const ranker = (arms: ExperimentInput['arms'], extra: Partial<ExperimentInput> = {}): ExperimentInput => ({
  name: 'ranker',
  arms,
  ...extra,
});
const threeArms = ranker([
  { name: 'control', model: 'hybrid', share: 0.5 },
  { name: 'ease', model: 'ease', share: 0.3 },
  { name: 'raw', model: 'hybrid', share: 0.2, params: { compose: false } },
]);

const problems = (value: unknown) => {
  try {
    validateExperiments(value);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

describe('validation', () => {
  it('accepts one experiment or a list, filling in traffic', () => {
    expect(validateExperiments(threeArms)).toEqual([{ ...threeArms, traffic: 1 }]);
    expect(validateExperiments([threeArms, { ...threeArms, name: 'second' }])).toHaveLength(2);
  });

  it('names every problem with its place', () => {
    expect(
      problems(
        ranker([
          { name: 'a', model: 'hybrid', share: 0.5 },
          { name: 'b', model: 'ease', share: 0.4 },
        ]),
      ),
    ).toMatch(/EXPERIMENTS\[0\]\.arms: arm shares must sum to 1, got 0\.9/);
    expect(
      problems(
        ranker([
          { name: 'a', model: 'nope' as never, share: 0.5 },
          { name: 'b', model: 'ease', share: 0.5 },
        ]),
      ),
    ).toMatch(/EXPERIMENTS\[0\]\.arms\[0\]\.model: model must be one of popular, .*hybrid/);
    expect(
      problems(
        ranker([
          { name: 'a', model: 'hybrid', share: 0.5 },
          { name: 'a', model: 'ease', share: 0.5 },
        ]),
      ),
    ).toMatch(/arm name "a" is repeated/);
    expect(problems(ranker([{ name: 'a', model: 'hybrid', share: 1 }]))).toMatch(/at least two arms/);
    expect(
      problems(
        ranker([
          { name: 'a', model: 'hybrid', share: 0.5, params: { lambda: 3 } as never },
          { name: 'b', model: 'ease', share: 0.5 },
        ]),
      ),
    ).toMatch(/EXPERIMENTS\[0\]\.arms\[0\]\.params: unknown "lambda" \(accepted: compose, composition\)/);
    const composed = (composition: unknown) =>
      problems(
        ranker([
          { name: 'a', model: 'hybrid', share: 0.5, params: { composition } as never },
          { name: 'b', model: 'ease', share: 0.5 },
        ]),
      );
    expect(composed({ freshMinScoreRatio: 1.5 })).toMatch(
      /EXPERIMENTS\[0\]\.arms\[0\]\.params\.composition: compose\.freshMinScoreRatio must be a number 0\.\.1, got 1\.5/,
    );
    expect(composed({ freshEvery: 2.5 })).toMatch(/compose\.freshEvery must be an integer ≥ 0/);
    expect(composed({ freshEvery: 'often' })).toMatch(/params\.composition\.freshEvery must be a number/);
    // Which posts are fresh is the build's: not an arm's to change.
    expect(composed({ freshMaxAgeDays: 7 })).toMatch(
      /unknown "freshMaxAgeDays" \(accepted: maxCategoryRun, maxCreatorRun, freshEvery, freshMinScoreRatio\)/,
    );
    expect(
      validateExperiments(
        ranker([
          { name: 'a', model: 'hybrid', share: 0.5, params: { composition: { freshEvery: 0 } } },
          { name: 'b', model: 'hybrid', share: 0.5 },
        ]),
      )[0]!.arms[0]!.params,
    ).toEqual({ composition: { freshEvery: 0 } });
    expect(problems({ ...threeArms, name: 'has:colon' })).toMatch(
      /EXPERIMENTS\[0\]\.name: experiment name must be a name/,
    );
    expect(problems({ ...threeArms, traffic: 0 })).toMatch(/traffic must be a number in \(0, 1\]/);
    expect(problems([threeArms, threeArms])).toMatch(
      /EXPERIMENTS\[1\]\.name: experiment name "ranker" is repeated/,
    );
    expect(problems({ ...threeArms, colour: 'red' })).toMatch(
      /unknown "colour" \(accepted: name, traffic, arms\)/,
    );
  });

  it('reads JSON text or a file; blank is none', async () => {
    expect(parseExperiments(undefined)).toEqual([]);
    expect(parseExperiments('  ')).toEqual([]);
    expect(parseExperiments(JSON.stringify(threeArms))[0]?.arms).toHaveLength(3);
    expect(() => parseExperiments('[{')).toThrow(/EXPERIMENTS: not valid JSON/);
    expect(() => parseExperiments('/no/such/file.json')).toThrow(
      /EXPERIMENTS: neither JSON nor a readable file/,
    );
    const dir = await mkdtemp(join(tmpdir(), 'experiments-'));
    try {
      const file = join(dir, 'experiments.json');
      await writeFile(file, JSON.stringify([threeArms]));
      expect(parseExperiments(file)[0]?.name).toBe('ranker');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses arms naming models the snapshot does not hold', () => {
    const experiments = new Experiments(validateExperiments(threeArms));
    expect(() => experiments.checkModels(['popular', 'hybrid', 'ease'], 'the snapshot')).not.toThrow();
    expect(() => experiments.checkModels(['popular', 'hybrid'], 'the snapshot')).toThrow(
      /EXPERIMENTS name models the snapshot does not hold: experiment "ranker" arm "ease" ranks with "ease"\. It holds popular, hybrid/,
    );
  });
});

describe('assignment', () => {
  it('hashes with 32-bit FNV-1a (published test vectors) and a bucket in [0, 1)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    for (let id = 1; id < 1000; id++) {
      const u = bucketOf('ranker', id);
      expect(u >= 0 && u < 1).toBe(true);
    }
    expect(bucketOf('ranker', 42)).not.toBe(bucketOf('ranker', 43));
  });

  it('is deterministic: a new instance (another process, a restart) assigns the same arms', () => {
    const a = new Experiments(validateExperiments(threeArms));
    const b = new Experiments(validateExperiments(JSON.parse(JSON.stringify(threeArms))));
    for (let id = 1; id <= 2000; id++) expect(b.assign(id)?.label).toBe(a.assign(id)?.label);
    expect(a.assign(7)).toEqual({
      experiment: 'ranker',
      arm: expect.objectContaining({ name: a.assign(7)!.arm.name }),
      label: `ranker:${a.assign(7)!.arm.name}`,
    });
  });

  it('respects the shares over 10k ids, independently per experiment name', () => {
    const experiments = new Experiments(validateExperiments(threeArms));
    const other = new Experiments(validateExperiments({ ...threeArms, name: 'other' }));
    const counts: Record<string, number> = {};
    let same = 0;
    const n = 10_000;
    for (let id = 1; id <= n; id++) {
      const arm = experiments.assign(id)!.arm.name;
      counts[arm] = (counts[arm] ?? 0) + 1;
      if (other.assign(id)!.arm.name === arm) same++;
    }
    // Binomial sd at n = 10k is ≤ 0.5 %: 2 % bounds are four sd and more.
    expect(counts.control! / n).toBeGreaterThan(0.48);
    expect(counts.control! / n).toBeLessThan(0.52);
    expect(counts.ease! / n).toBeGreaterThan(0.28);
    expect(counts.ease! / n).toBeLessThan(0.32);
    expect(counts.raw! / n).toBeGreaterThan(0.18);
    expect(counts.raw! / n).toBeLessThan(0.22);
    // Independent assignments agree with probability 0.5² + 0.3² + 0.2² = 0.38.
    expect(same / n).toBeGreaterThan(0.35);
    expect(same / n).toBeLessThan(0.41);
  });

  it('takes only the traffic share into an experiment; the first that includes a user decides', () => {
    const partial = { ...threeArms, traffic: 0.25 };
    const experiments = new Experiments(validateExperiments([partial, { ...threeArms, name: 'second' }]));
    let first = 0;
    let second = 0;
    for (let id = 1; id <= 10_000; id++) {
      const a = experiments.assign(id)!;
      if (a.experiment === 'ranker') first++;
      else second++;
    }
    expect(first / 10_000).toBeGreaterThan(0.23);
    expect(first / 10_000).toBeLessThan(0.27);
    expect(first + second).toBe(10_000);
    expect(new Experiments([]).assign(1)).toBeNull();
  });
});
