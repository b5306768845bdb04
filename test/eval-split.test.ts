import { describe, expect, it } from 'vitest';
import { holdoutCount, splitByTime } from '../src/eval/split.js';
import { InteractionKind, type TrainingData } from '../src/recommend/types.js';
import { movieLens as movieLensFixture, type Rating } from './support/movielens-fixture.js';

/** MovieLens-shaped data from [user, item, stars, at] tuples; catalogue = items 1..100. */
const movieLens = (ratings: Rating[]): TrainingData => movieLensFixture(ratings, 100);

/** Rows of (user, post, kind, at, percent) as TrainingData; catalogue = posts 1..100. */
function rows(list: [number, number, keyof typeof InteractionKind, number, number?][]): TrainingData {
  return {
    users: Int32Array.from(new Set(list.map((r) => r[0]))),
    posts: Array.from({ length: 100 }, (_, i) => ({
      id: i + 1,
      title: '',
      category: null,
      categoryId: null,
      projectCode: null,
      creator: null,
      createdAt: null,
      summary: '',
      keywords: [],
    })),
    interactions: {
      length: list.length,
      userId: Int32Array.from(list.map((r) => r[0])),
      postId: Int32Array.from(list.map((r) => r[1])),
      kind: Uint8Array.from(list.map((r) => InteractionKind[r[2]])),
      at: Float64Array.from(list.map((r) => r[3])),
      ratingPercent: Float32Array.from(list.map((r) => r[4] ?? Number.NaN)),
    },
  };
}

/** Posts user `u` has rows for in `data`. */
function postsOf(data: TrainingData, u: number): number[] {
  const out = new Set<number>();
  for (let i = 0; i < data.interactions.length; i++) {
    if (data.interactions.userId[i] === u) out.add(data.interactions.postId[i]!);
  }
  return [...out].sort((a, b) => a - b);
}

describe('holdoutCount', () => {
  it('holds out ceil(20%) of the events, immune to float noise', () => {
    expect([5, 6, 7, 10, 11, 15, 20, 21].map((n) => holdoutCount(n, 0.2))).toEqual([1, 2, 2, 2, 3, 3, 4, 5]);
  });
});

describe('splitByTime', () => {
  it('holds out the chronologically last 20% of events of users with at least 5 events', () => {
    // User 1: ten ratings at t = 10..100 given in shuffled order; user 2: four ratings only.
    const ratings: Rating[] = [];
    for (const i of [3, 9, 1, 7, 5, 10, 2, 8, 6, 4]) ratings.push([1, i, 4, i * 10]);
    for (const i of [1, 2, 3, 4]) ratings.push([2, 50 + i, 5, i]);
    const { train, heldOut } = splitByTime(movieLens(ratings), { positives: 'movielens' });

    expect(heldOut.map((u) => u.userId)).toEqual([1]);
    expect(heldOut[0]!.heldOut).toEqual([9, 10]);
    expect(heldOut[0]!.trainEvents).toBe(8);
    expect(postsOf(train, 1)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // A user below the threshold keeps everything in training.
    expect(postsOf(train, 2)).toEqual([51, 52, 53, 54]);
  });

  it('breaks timestamp ties by post id', () => {
    const ratings: Rating[] = [
      [1, 30, 5, 500],
      [1, 20, 5, 500],
      [1, 10, 5, 100],
      [1, 40, 5, 200],
      [1, 50, 5, 300],
    ];
    const { heldOut } = splitByTime(movieLens(ratings), { positives: 'movielens' });
    expect(heldOut[0]!.heldOut).toEqual([30]);
    // The same data in another row order splits the same way.
    const again = splitByTime(movieLens([...ratings].reverse()), { positives: 'movielens' });
    expect(again.heldOut[0]!.heldOut).toEqual([30]);
  });

  it("holds out whole events: none of a held-out rating's view/like/inspire/rating rows stay in training", () => {
    const ratings: Rating[] = [1, 2, 3, 4, 5].map((i) => [7, i, 5, i]);
    const data = movieLens(ratings); // 5 ratings of 5 stars: 4 rows each
    const { train, heldOut, stats } = splitByTime(data, { positives: 'movielens' });
    expect(heldOut[0]!.heldOut).toEqual([5]);
    expect(stats.heldOutRows).toBe(4);
    expect(train.interactions.length).toBe(16);
    expect(postsOf(train, 7)).toEqual([1, 2, 3, 4]);
    // Training rows keep every column.
    expect(Array.from(train.interactions.kind.slice(0, 4))).toEqual([
      InteractionKind.view,
      InteractionKind.like,
      InteractionKind.inspire,
      InteractionKind.rating,
    ]);
    expect(train.interactions.ratingPercent[3]).toBe(100);
  });

  it('counts ratings of 4 and 5 stars as MovieLens positives, not 3 or less', () => {
    // Ten events; the last two (posts 9 and 10) are held out.
    const stars = [5, 5, 5, 5, 5, 5, 5, 5, 3, 4];
    const ratings: Rating[] = stars.map((s, i) => [1, i + 1, s, i]);
    const { heldOut } = splitByTime(movieLens(ratings), { positives: 'movielens' });
    expect(heldOut[0]!.heldOut).toEqual([9, 10]);
    expect(heldOut[0]!.positives).toEqual([10]);

    const none = splitByTime(movieLens(stars.map((_, i) => [1, i + 1, i >= 8 ? 2 : 5, i])), {
      positives: 'movielens',
    });
    expect(none.heldOut[0]!.positives).toEqual([]);
  });

  it('counts likes, inspires and ratings of at least 50 as EmpowerVerse positives', () => {
    const data = rows([
      ...Array.from({ length: 20 }, (_, i): [number, number, 'view', number] => [1, 31 + i, 'view', i]),
      // Held out (the last 5 of 25): a like, an inspire, a 50% rating, a 40% rating, a bare view.
      [1, 11, 'like', 51],
      [1, 12, 'inspire', 52],
      [1, 13, 'rating', 53, 50],
      [1, 14, 'rating', 54, 40],
      [1, 15, 'view', 55],
    ]);
    const { heldOut } = splitByTime(data, { positives: 'empowerverse' });
    expect(heldOut[0]!.heldOut).toEqual([11, 12, 13, 14, 15]);
    expect(heldOut[0]!.positives).toEqual([11, 12, 13]);
    // Under the MovieLens rule only ratings ≥ 80 count.
    expect(splitByTime(data, { positives: 'movielens' }).heldOut[0]!.positives).toEqual([]);
  });

  it("dates an EmpowerVerse event by the user's first interaction with the post and keeps it whole", () => {
    // Post 1 is viewed first (t=1) and liked last (t=100): one event dated t=1, kept in training whole.
    const data = rows([
      [1, 1, 'view', 1],
      [1, 2, 'view', 2],
      [1, 3, 'view', 3],
      [1, 4, 'view', 4],
      [1, 5, 'view', 50],
      [1, 5, 'like', 60],
      [1, 1, 'like', 100],
    ]);
    const { train, heldOut } = splitByTime(data, { positives: 'empowerverse' });
    expect(heldOut[0]!.heldOut).toEqual([5]);
    expect(heldOut[0]!.positives).toEqual([5]);
    expect(train.interactions.length).toBe(5);
    expect(postsOf(train, 1)).toEqual([1, 2, 3, 4]);
  });

  it("excludes exactly the user's training posts from the ranking, and leaves other users' data alone", () => {
    const ratings: Rating[] = [];
    for (let i = 1; i <= 10; i++) ratings.push([1, i, 4, i]);
    for (let i = 1; i <= 5; i++) ratings.push([2, i + 20, 4, i]);
    const { train, heldOut } = splitByTime(movieLens(ratings), { positives: 'movielens' });
    const user1 = heldOut.find((u) => u.userId === 1)!;
    expect([...user1.trainPosts].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(user1.heldOut.some((p) => user1.trainPosts.has(p))).toBe(false);
    expect(postsOf(train, 2)).toEqual([21, 22, 23, 24]);
    // The catalogue and user list are unchanged: every post stays a candidate.
    expect(train.posts).toHaveLength(100);
    expect(Array.from(train.users)).toEqual([1, 2]);
  });

  it('drops positives outside the catalogue, which no model could recommend', () => {
    const ratings: Rating[] = [1, 2, 3, 4, 500].map((item, i) => [1, item, 5, i]);
    const { heldOut } = splitByTime(movieLens(ratings), { positives: 'movielens' });
    expect(heldOut[0]!.heldOut).toEqual([500]);
    expect(heldOut[0]!.positives).toEqual([]);
  });

  it('carves a validation split from the training part only', () => {
    const ratings: Rating[] = [];
    for (let i = 1; i <= 20; i++) ratings.push([1, i, 5, i]);
    const test = splitByTime(movieLens(ratings), { positives: 'movielens' });
    const validation = splitByTime(test.train, { positives: 'movielens' });
    expect(test.heldOut[0]!.heldOut).toEqual([17, 18, 19, 20]);
    expect(validation.heldOut[0]!.heldOut).toEqual([13, 14, 15, 16]); // ceil(20% of 16) = 4
    expect(postsOf(validation.train, 1)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('rejects a fraction outside (0, 1) and an unknown positives rule', () => {
    const data = movieLens([[1, 1, 5, 1]]);
    expect(() => splitByTime(data, { holdoutFraction: 1 })).toThrow(
      /holdoutFraction must be between 0 and 1/,
    );
    // @ts-expect-error an unknown rule
    expect(() => splitByTime(data, { positives: 'stars' })).toThrow(
      /positives must be one of movielens, empowerverse/,
    );
  });
});
