import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMovieLens, loadMovieLensRaw, parseReleaseDate } from '../src/eval/movielens.js';
import { snapshotRecommender } from '../src/eval/recommender.js';
import { evaluate } from '../src/eval/run.js';
import { holdoutCount, splitByTime } from '../src/eval/split.js';
import { InteractionKind } from '../src/recommend/types.js';

const repoRoot = path.resolve(import.meta.dirname, '..');
const ML100K = path.resolve(repoRoot, '../shared/datasets/ml-100k');
const hasDataset = existsSync(path.join(ML100K, 'u.data'));
if (!hasDataset) console.warn(`skipping the ml-100k mapping tests: ${ML100K} not found`);

describe('parseReleaseDate', () => {
  it('reads "01-Jan-1995" as UTC midnight and rejects anything else', () => {
    expect(parseReleaseDate('01-Jan-1995')).toBe(Date.UTC(1995, 0, 1));
    expect(parseReleaseDate('14-Mar-1997')).toBe(Date.UTC(1997, 2, 14));
    expect(parseReleaseDate('')).toBeNull();
    expect(parseReleaseDate('31-Feb-1995')).toBeNull();
    expect(parseReleaseDate('1995')).toBeNull();
  });
});

describe.skipIf(!hasDataset)('loadMovieLens on ml-100k', () => {
  const raw = hasDataset ? loadMovieLensRaw(ML100K) : undefined;
  const data = hasDataset ? loadMovieLens(ML100K) : undefined;

  it('maps 943 users and 1682 movies to users and posts', () => {
    expect(data!.users).toHaveLength(943);
    expect(data!.posts).toHaveLength(1682);
    expect(raw!.ratings.length).toBe(100_000);
  });

  it('turns every rating into a view and a rating of stars × 20, ≥ 4 stars into a like, 5 into an inspire', () => {
    const counts = [0, 0, 0, 0];
    const ix = data!.interactions;
    for (let i = 0; i < ix.length; i++) counts[ix.kind[i]!]!++;
    let fourPlus = 0;
    let fives = 0;
    for (let i = 0; i < raw!.ratings.length; i++) {
      if (raw!.ratings.rating[i]! >= 4) fourPlus++;
      if (raw!.ratings.rating[i] === 5) fives++;
    }
    expect(counts[InteractionKind.view]).toBe(100_000);
    expect(counts[InteractionKind.rating]).toBe(100_000);
    expect(counts[InteractionKind.like]).toBe(fourPlus);
    expect(counts[InteractionKind.inspire]).toBe(fives);
    expect(fourPlus).toBe(55_375); // published ml-100k rating distribution: 34,174 fours + 21,201 fives
    expect(fives).toBe(21_201);
    expect(ix.length).toBe(200_000 + fourPlus + fives);
  });

  it("keeps each rating's user, movie and timestamp on all its rows", () => {
    // The first line of u.data: 196 242 3 881250949 → a view and a 60% rating.
    const ix = data!.interactions;
    expect([ix.userId[0], ix.postId[0], ix.kind[0], ix.at[0]]).toEqual([
      196,
      242,
      InteractionKind.view,
      881250949,
    ]);
    expect(Number.isNaN(ix.ratingPercent[0])).toBe(true);
    expect([ix.userId[1], ix.postId[1], ix.kind[1], ix.at[1], ix.ratingPercent[1]]).toEqual([
      196,
      242,
      InteractionKind.rating,
      881250949,
      60,
    ]);
  });

  it('maps a movie to a post: first genre as category, genres as keywords, title + genres as summary', () => {
    const goldenEye = data!.posts.find((p) => p.id === 2)!;
    expect(goldenEye).toEqual({
      id: 2,
      title: 'GoldenEye (1995)',
      category: 'Action',
      categoryId: 1,
      projectCode: null,
      creator: null,
      createdAt: Date.UTC(1995, 0, 1),
      summary: 'GoldenEye (1995). Genres: Action, Adventure, Thriller.',
      keywords: ['Action', 'Adventure', 'Thriller'],
    });
  });

  it('decodes latin1 titles and leaves an unknown release date null', () => {
    expect(data!.posts.find((p) => p.id === 543)!.title).toBe('Misérables, Les (1995)');
    const unknown = data!.posts.find((p) => p.id === 267)!;
    expect(unknown.createdAt).toBeNull();
    expect(unknown.category).toBe('unknown');
  });
});

describe.skipIf(!hasDataset)('the protocol on ml-100k', () => {
  const data = hasDataset ? loadMovieLens(ML100K) : undefined;

  it("tests every user (all have ≥ 20 ratings) and holds out ceil(20%) of each one's ratings", () => {
    const { heldOut, stats } = splitByTime(data!, { positives: 'movielens' });
    const perUser = new Map<number, number>();
    const raw = loadMovieLensRaw(ML100K).ratings;
    for (let i = 0; i < raw.length; i++) perUser.set(raw.userId[i]!, (perUser.get(raw.userId[i]!) ?? 0) + 1);
    let expected = 0;
    for (const n of perUser.values()) expected += holdoutCount(n, 0.2);
    expect(heldOut).toHaveLength(943);
    expect(stats.heldOutEvents).toBe(expected);
    expect(heldOut.every((u) => u.trainEvents + u.heldOut.length === perUser.get(u.userId))).toBe(true);
  });

  it('shows the default hybrid at NDCG@20 ≥ 0.19, ≥ 1.2 × seed-hybrid and ≥ every other model', () => {
    const report = evaluate(data!, { positives: 'movielens' });
    const ndcg = Object.fromEntries(report.models.map((m) => [m.model, m.all.ndcg20]));
    expect(ndcg.hybrid).toBeGreaterThanOrEqual(0.19);
    expect(ndcg.hybrid).toBeGreaterThanOrEqual(1.2 * ndcg['seed-hybrid']!);
    for (const m of report.models) expect(ndcg.hybrid).toBeGreaterThanOrEqual(m.all.ndcg20);
    expect(report.models.every((m) => m.invalidItems === 0)).toBe(true);
  });

  it('serves a composed hybrid feed within 3 % of the raw ranking on NDCG@20 (fresh slots by its own scores)', () => {
    const only = { positives: 'movielens' as const, models: ['hybrid'] };
    const build = { models: ['popular', 'itemknn', 'ease', 'content', 'hybrid'] as const };
    const raw = evaluate(data!, {
      ...only,
      buildRecommender: snapshotRecommender({ build: { models: [...build.models] } }),
    });
    const served = evaluate(data!, {
      ...only,
      buildRecommender: snapshotRecommender({ build: { models: [...build.models] }, composed: true }),
    });
    const ndcg = (r: typeof raw) => r.models[0]!.all.ndcg20;
    expect(ndcg(served)).toBeGreaterThanOrEqual(0.97 * ndcg(raw));
  });
});

describe('loadMovieLens on a malformed folder', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'eval-ml-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the missing file and what the folder should hold', () => {
    expect(() => loadMovieLens(dir)).toThrow(
      /u\.genre not found \(expected the ml-100k files u\.data, u\.item, u\.genre\)/,
    );
  });

  it('names the file and line of a malformed rating', () => {
    writeFileSync(path.join(dir, 'u.genre'), 'unknown|0\nDrama|1\n');
    writeFileSync(path.join(dir, 'u.item'), '1|A (1990)|01-Jan-1990||url|0|1\n');
    writeFileSync(path.join(dir, 'u.data'), '1\t1\t4\t100\n1\t1\t9\t100\n');
    expect(() => loadMovieLens(dir)).toThrow(
      /u\.data line 2: expected "user<TAB>item<TAB>rating 1\.\.5<TAB>timestamp"/,
    );
  });

  it('takes users from u.data when u.user is absent', () => {
    writeFileSync(path.join(dir, 'u.data'), '3\t1\t4\t100\n2\t1\t5\t101\n3\t1\t2\t102\n');
    const data = loadMovieLens(dir);
    expect(Array.from(data.users)).toEqual([2, 3]);
    expect(data.posts[0]!.category).toBe('Drama');
    expect(data.interactions.length).toBe(3 + 4 + 2); // 4 stars: view+like+rating; 5: +inspire; 2: view+rating
  });
});
