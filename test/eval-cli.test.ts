import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { afterAll, describe, expect, it } from 'vitest';
import { type EvalCommandDeps, registerEvalCommand } from '../src/eval/cli.js';
import { loadMovieLens } from '../src/eval/movielens.js';
import type { BuildRecommender, EvalReport } from '../src/eval/run.js';

// A tiny MovieLens folder: 3 users rate movies 1–6 at t = 1..6 (movie 7 is unrated); ceil(20% of 6) = 2
// ratings held out per user: movies 5 and 6.
const dir = mkdtempSync(path.join(tmpdir(), 'eval-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, 'u.genre'), 'unknown|0\nAction|1\nDrama|2\n\n');
writeFileSync(
  path.join(dir, 'u.item'),
  Array.from(
    { length: 7 },
    (_, i) => `${i + 1}|Movie ${i + 1} (1990)|01-Jan-1990||url|0|${i % 2}|${(i + 1) % 2}`,
  ).join('\n'),
);
const lines: string[] = [];
for (const user of [1, 2, 3])
  for (let item = 1; item <= 6; item++) lines.push(`${user}\t${item}\t5\t${item}`);
writeFileSync(path.join(dir, 'u.data'), lines.join('\n'));

/** `ordered` ranks 6, 5, … (held-out posts first); `other` ranks 7, 1, 2, … (an unrated movie first); seen posts removed. */
const toy: BuildRecommender = (train) => {
  const seen = new Set<string>();
  for (let i = 0; i < train.interactions.length; i++) {
    seen.add(`${train.interactions.userId[i]}:${train.interactions.postId[i]}`);
  }
  return {
    models: ['ordered', 'other'],
    rank: (model, user, k) =>
      (model === 'ordered' ? [6, 5, 4, 3, 2, 1] : [7, 1, 2, 3, 4, 5, 6])
        .filter((p) => !seen.has(`${user}:${p}`))
        .slice(0, k),
  };
};

async function run(args: string[], deps: Partial<EvalCommandDeps> = {}): Promise<string> {
  let out = '';
  const program = new Command().exitOverride();
  registerEvalCommand(program, { buildRecommender: toy, write: (text) => (out += text), ...deps });
  await program.parseAsync(['node', 'empowerverse', 'eval', ...args]);
  return out;
}

describe('empowerverse eval', () => {
  it('prints every model as a row of the all-users and cold-users tables', async () => {
    const out = await run(['--movielens', dir]);
    expect(out).toMatch(/^dataset: 3 users, 7 posts/m);
    // ordered: [6, 5] → NDCG 1, coverage 2/7; other: [7, 5, 6] → NDCG (1/log2 3 + 1/2) / (1 + 1/log2 3) = 0.6934.
    expect(out).toMatch(/^ordered +3 +1\.0000 +1\.0000 +1\.0000 +1\.0000 +0\.2857$/m);
    expect(out).toMatch(/^other +3 +1\.0000 +0\.6934 +1\.0000 +0\.6934 +0\.4286$/m);
    expect(out).toMatch(/^cold users \(≤ 20 training events\)$/m);
  });

  it('prints JSON with --json, for the requested models, with the MovieLens positives rule', async () => {
    const report = JSON.parse(
      await run(['--movielens', dir, '--json', '--models', 'other', '--cold-threshold', '3']),
    );
    expect((report as EvalReport).models.map((m) => m.model)).toEqual(['other']);
    expect(report.protocol).toMatchObject({ positives: 'movielens', coldThreshold: 3, split: 'test' });
    expect(report.split.coldUsers).toBe(0); // every user keeps 4 training events
  });

  it('evaluates the store through the adapter it is given, with the EmpowerVerse positives rule', async () => {
    const urls: string[] = [];
    const out = await run(['--db', 'file.db', '--json', '--validation'], {
      loadFromStore: async (url) => {
        urls.push(url);
        return loadMovieLens(dir);
      },
    });
    expect(urls).toEqual(['file.db']);
    expect(JSON.parse(out).protocol).toMatchObject({ positives: 'empowerverse', split: 'validation' });
  });

  it('refuses bad flags with a message naming what is accepted', async () => {
    await expect(run(['--movielens', dir, '--db', 'x.db'])).rejects.toThrow(
      /--movielens <dir> or --db <url>, not both/,
    );
    await expect(run(['--movielens', dir, '--cold-threshold', 'few'])).rejects.toThrow(
      /--cold-threshold must be a non-negative integer, got "few"/,
    );
    await expect(run(['--movielens', dir, '--positives', 'stars'])).rejects.toThrow(
      /--positives must be one of movielens, empowerverse/,
    );
    await expect(run(['--movielens', dir, '--models', 'ease'])).rejects.toThrow(
      /unknown model ease; accepted: ordered, other/,
    );
    await expect(run(['--db', 'x.db'])).rejects.toThrow(/not wired to a store/);
    await expect(run(['--movielens', path.join(dir, 'missing')])).rejects.toThrow(/u\.genre not found/);
  });
});
