import { describe, expect, it } from 'vitest';
import type { InteractionKindName, PostContent, TrainingData } from '../src/recommend/index.js';
import {
  buildSnapshot,
  InteractionKind,
  rankForUser,
  userHistory,
  withHybridWeights,
} from '../src/recommend/index.js';
import type { EaseState } from '../src/recommend/models/ease.js';
import type { IalsState } from '../src/recommend/models/ials.js';
import type { ItemKnnState } from '../src/recommend/models/itemknn.js';
import { neighbourValue } from '../src/recommend/models/neighbours.js';

const DAY = 86_400;
const NOW = 1_700_000_000;

type Event = [user: number, post: number, kind?: InteractionKindName, at?: number, percent?: number];

function post(id: number, extra: Partial<PostContent> = {}): PostContent {
  return {
    id,
    title: `post ${id}`,
    category: null,
    categoryId: null,
    projectCode: null,
    creator: null,
    createdAt: null,
    summary: '',
    keywords: [],
    ...extra,
  };
}

/** Training data from compact event tuples (default kind view, default time: 1 s apart before NOW). */
function dataset(posts: PostContent[], events: Event[], now = NOW): TrainingData {
  const n = events.length;
  const interactions = {
    length: n,
    userId: Int32Array.from(events, (e) => e[0]),
    postId: Int32Array.from(events, (e) => e[1]),
    kind: Uint8Array.from(events, (e) => InteractionKind[e[2] ?? 'view']),
    at: Float64Array.from(events, (e, i) => e[3] ?? now - n + i),
    ratingPercent: Float32Array.from(events, (e) => e[4] ?? Number.NaN),
  };
  const users = Int32Array.from(new Set(events.map((e) => e[0]))).sort();
  return { users, posts, interactions, now };
}

const ranked = (snapshot: ReturnType<typeof buildSnapshot>, userId: number, model: string, k = 10) =>
  rankForUser(snapshot, { userId, model: model as never, k }).map((r) => r.postId);

// Users 1..3 over posts A=1, B=2, C=3: u1 {A,B}, u2 {A,B,C}, u3 {B,C}; user 4 has only A.
const ABC: Event[] = [
  [1, 1],
  [1, 2],
  [2, 1],
  [2, 2],
  [2, 3],
  [3, 2],
  [3, 3],
  [4, 1],
];
const ABC_POSTS = [post(1), post(2), post(3)];

describe('snapshot base', () => {
  it('orders each history oldest to newest and sums weights per post with decay', () => {
    const data = dataset(
      [post(10), post(20)],
      [
        [7, 20, 'view', NOW - 2 * DAY],
        [7, 10, 'like', NOW - DAY],
        [7, 20, 'rating', NOW, 50],
        [7, 99, 'view', NOW], // unknown post: dropped
      ],
    );
    const s = buildSnapshot(data, {
      models: ['popular'],
      halfLifeDays: 1,
      weights: { view: 1, like: 3, inspire: 4, rating: 2 },
    });
    expect(s.stats.droppedUnknownPost).toBe(1);
    const h = userHistory(s.base, 7);
    expect([...h.cols].map((c) => s.base.postIds[c])).toEqual([10, 20]);
    // post 10: like 3 × 2^(−1); post 20: view 1 × 2^(−2) + rating 2 × 0.5 × 1.
    expect(h.weights[0]).toBeCloseTo(1.5, 6);
    expect(h.weights[1]).toBeCloseTo(0.25 + 1, 6);
    // The prototype's weights: like 1; view 0.5 (a 50 % rating adds nothing: not above 50).
    expect([...h.protoWeights]).toEqual([1, 0.5]);
    expect(h.time).toBe(NOW);
  });

  it('merges live events: new posts last, weights added, unknown posts ignored', () => {
    const s = buildSnapshot(dataset([post(1), post(2), post(3)], [[5, 1, 'view', NOW - 10]]), {
      models: ['popular'],
    });
    const h = userHistory(s.base, 5, [
      { postId: 3, kind: 'like', at: NOW + 5 },
      { postId: 1, kind: 'view', at: NOW + 1 },
      { postId: 42, kind: 'view' },
    ]);
    expect([...h.cols].map((c) => s.base.postIds[c])).toEqual([1, 3]);
    expect(h.weights[0]).toBeCloseTo(2, 5);
    expect(h.time).toBe(NOW + 5);
    const stranger = userHistory(s.base, 999, [{ postId: 2, kind: 'inspire' }]);
    expect(stranger.userRow).toBe(-1);
    expect([...stranger.cols].map((c) => s.base.postIds[c])).toEqual([2]);
  });
});

describe('popular', () => {
  it('scores time-decayed interaction weight over the maximum plus a freshness bonus', () => {
    const data = dataset(
      [post(1, { createdAt: (NOW - 100 * DAY) * 1000 }), post(2, { createdAt: NOW * 1000 }), post(3)],
      [
        [1, 1, 'view', NOW],
        [2, 1, 'like', NOW - 14 * DAY],
        [1, 2, 'view', NOW - 14 * DAY],
      ],
    );
    const s = buildSnapshot(data, {
      models: ['popular'],
      popular: { halfLifeDays: 14, freshnessWeight: 0.5, freshnessHalfLifeDays: 1 },
    });
    // Raw: post 1 = 1 + 3·½ = 2.5, post 2 = ½ → normalised 1 and 0.2; freshness: post 2 is new (+0.5).
    expect(s.popularScores[0]).toBeCloseTo(1 + 0.5 * 2 ** -100, 6);
    expect(s.popularScores[1]).toBeCloseTo(0.2 + 0.5, 6);
    expect(s.popularScores[2]).toBe(0);
    expect(ranked(s, 123, 'popular')).toEqual([1, 2, 3]);
  });
});

describe('itemknn', () => {
  it('computes cosine similarity with shrinkage and sums neighbours of the history', () => {
    const s = buildSnapshot(dataset(ABC_POSTS, ABC), {
      models: ['itemknn'],
      itemknn: { weighted: false, shrinkage: 1, neighbours: 10 },
    });
    const m = s.data.states.itemknn as ItemKnnState;
    // A is held by users 1, 2, 4; B by 1, 2, 3; C by 2, 3. So ‖A‖ = ‖B‖ = √3, ‖C‖ = √2 and the
    // co-occurrences are A·B = 2, A·C = 1, B·C = 2; sim = co-occurrence / (‖i‖·‖j‖ + 1).
    expect(neighbourValue(m.similarity, 0, 1)).toBeCloseTo(2 / (3 + 1), 6);
    expect(neighbourValue(m.similarity, 0, 2)).toBeCloseTo(1 / (Math.sqrt(6) + 1), 6);
    expect(neighbourValue(m.similarity, 1, 2)).toBeCloseTo(2 / (Math.sqrt(6) + 1), 6);
    expect(neighbourValue(m.similarity, 0, 0)).toBe(0);
    // User 4 has A: B (0.5) ranks above C (0.29).
    expect(rankForUser(s, { userId: 4, model: 'itemknn', k: 5 })).toEqual([
      { postId: 2, score: expect.closeTo(0.5, 6) },
      { postId: 3, score: expect.closeTo(1 / (Math.sqrt(6) + 1), 6) },
    ]);
  });

  it('keeps only the k strongest neighbours per item', () => {
    const s = buildSnapshot(dataset(ABC_POSTS, ABC), {
      models: ['itemknn'],
      itemknn: { weighted: false, shrinkage: 0, neighbours: 1 },
    });
    const m = s.data.states.itemknn as ItemKnnState;
    expect([...m.similarity.indptr]).toEqual([0, 1, 2, 3]);
    expect(m.similarity.indices[0]).toBe(1); // A's best neighbour is B
  });
});

describe('ease', () => {
  it('matches B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹ computed by hand', () => {
    const s = buildSnapshot(dataset(ABC_POSTS, ABC), { models: ['ease'], ease: { lambda: 1 } });
    const m = s.data.states.ease as EaseState;
    // XᵀX + I = [[4,2,1],[2,4,2],[1,2,3]]: det = 4·8 − 2·4 + 1·0 = 24.
    const inv = [8, -4, 0, -4, 11, -6, 0, -6, 12].map((v) => v / 24);
    const b = (i: number, j: number) => (i === j ? 0 : -inv[i * 3 + j]! / inv[j * 3 + j]!);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) expect(m.weights[i * 3 + j]).toBeCloseTo(b(i, j), 6);
    // User 4 (history A) scores row A of B: B = 4/11, C = 0.
    expect(ranked(s, 4, 'ease')).toEqual([2, 3]);
    expect(rankForUser(s, { userId: 4, model: 'ease', k: 1 })[0]!.score).toBeCloseTo(4 / 11, 6);
  });

  it('refuses a catalogue above maxItems when strict, else restricts to the most interacted posts', () => {
    const data = dataset(ABC_POSTS, ABC);
    expect(() => buildSnapshot(data, { models: ['ease'], ease: { maxItems: 2, strict: true } })).toThrow(
      /ease is dense and supports at most ease.maxItems=2 posts, got 3/,
    );
    const s = buildSnapshot(data, { models: ['ease'], ease: { maxItems: 2 } });
    expect([...(s.data.states.ease as EaseState).items]).toEqual([0, 1]);
    expect(s.stats.notes[0]).toMatch(/ease restricted to the 2 most interacted of 3 posts/);
  });
});

describe('ials', () => {
  // Two disjoint tastes: users 1–4 use posts 1–3, users 5–8 use posts 4–6; user 9 has post 1 only.
  const events: Event[] = [];
  for (let u = 1; u <= 4; u++) for (const p of [1, 2, 3]) if (!(u === 4 && p === 3)) events.push([u, p]);
  for (let u = 5; u <= 8; u++) for (const p of [4, 5, 6]) events.push([u, p]);
  events.push([9, 1]);
  const data = dataset(
    [1, 2, 3, 4, 5, 6].map((id) => post(id)),
    events,
  );

  it('is deterministic for a seed and recovers block structure', () => {
    const opts = { models: ['ials'] as const, ials: { factors: 4, iterations: 10, cgSteps: 4, seed: 3 } };
    const a = buildSnapshot(data, { ...opts, models: [...opts.models] });
    const b = buildSnapshot(data, { ...opts, models: [...opts.models] });
    expect((a.data.states.ials as IalsState).itemFactors).toEqual(
      (b.data.states.ials as IalsState).itemFactors,
    );
    const top = ranked(a, 9, 'ials', 5);
    expect(top.slice(0, 2).sort()).toEqual([2, 3]);
    expect(ranked(a, 4, 'ials', 1)).toEqual([3]);
  });
});

describe('content', () => {
  it('ranks posts by TF-IDF similarity to the history over summary, keywords, title and category', () => {
    const data = dataset(
      [
        post(1, { title: 'Morning yoga', summary: 'gentle yoga stretching routine', keywords: ['yoga'] }),
        post(2, { title: 'Yoga breathing', summary: 'breathing for yoga beginners', keywords: ['yoga'] }),
        post(3, { title: 'Car engines', summary: 'how an engine works', keywords: ['cars'] }),
        post(4, { title: 'Stretching', summary: 'stretching after running', category: 'Fitness' }),
      ],
      [[1, 1]],
    );
    const s = buildSnapshot(data, { models: ['content'] });
    expect(ranked(s, 1, 'content')).toEqual([2, 4, 3]);
    expect(rankForUser(s, { userId: 1, model: 'content', k: 3 })[2]!.score).toBe(0);
  });
});

describe('hybrid signals', () => {
  it('sequence: what usually comes next after the latest post ranks first', () => {
    // Users 1–3 watch 1 then 2; users 4–6 watch 3 then 4; user 7 watched 3 then 1.
    const events: Event[] = [];
    for (let u = 1; u <= 3; u++) events.push([u, 1], [u, 2]);
    for (let u = 4; u <= 6; u++) events.push([u, 3], [u, 4]);
    events.push([7, 3], [7, 1]);
    const s = buildSnapshot(
      dataset(
        [1, 2, 3, 4].map((id) => post(id)),
        events,
      ),
      {
        models: ['hybrid'],
        sequence: { window: 1, backward: 0, shrinkage: 0, halfLifeSteps: 1 },
        hybrid: { weights: { ease: 0, itemknn: 0, popular: 0, trend: 0, sequence: 1 } },
      },
    );
    const out = new Float32Array(4);
    s.components.get('sequence')!.scoreUser(userHistory(s.base, 7), out);
    // From post 1 (newest, weight 1): 4 users have it, 3 went on to 2 (user 7 stopped there).
    // From post 3 (one step older, weight ½): 4 users have it, 3 went on to 4 and 1 to post 1.
    expect(out[1]).toBeCloseTo(3 / 4, 6);
    expect(out[3]).toBeCloseTo(0.5 * (3 / 4), 6);
    expect(ranked(s, 7, 'hybrid', 2)).toEqual([2, 4]);
  });

  it('trend: popularity in the window before the user’s latest interaction', () => {
    const events: Event[] = [
      [1, 1, 'view', NOW - 30 * DAY],
      [2, 1, 'view', NOW - 30 * DAY],
      [3, 2, 'view', NOW - DAY],
      [9, 3, 'view', NOW - 29 * DAY],
    ];
    const s = buildSnapshot(
      dataset(
        [1, 2, 3].map((id) => post(id)),
        events,
      ),
      {
        models: ['hybrid'],
        trend: { windowDays: 3, bucketHours: 24 },
      },
    );
    const out = new Float32Array(3);
    const trend = s.components.get('trend')!;
    trend.scoreUser(userHistory(s.base, 9), out); // user 9's time: 29 days ago
    expect([...out]).toEqual([2, 0, 1]);
    trend.scoreUser(userHistory(s.base, undefined), out); // no history: the snapshot time
    expect([...out]).toEqual([0, 1, 0]);
  });

  it('blends per-user min-max normalised component scores with their weights', () => {
    const s = buildSnapshot(dataset(ABC_POSTS, ABC), {
      models: ['hybrid'],
      itemknn: { weighted: false, shrinkage: 0 },
      hybrid: {
        weights: { ease: 0, itemknn: 1, popular: 0.5, sequence: 0, trend: 0 },
        recency: { itemknn: { halfLifeSteps: Number.POSITIVE_INFINITY, recencyFloor: 0 } },
        coldHistoryMax: 0,
      },
    });
    // User 4 (history A): itemknn B = 2/3, C = 1/√6, A = 0 → min-max: B 1, C (1/√6)/(2/3), A 0.
    // popular: A 3, B 3, C 2 views → normalised 1, 1, 2/3 → min-max 1, 1, 0.
    const res = rankForUser(s, { userId: 4, model: 'hybrid', k: 2 });
    expect(res.map((r) => r.postId)).toEqual([2, 3]);
    expect(res[0]!.score).toBeCloseTo(1 + 0.5, 5);
    expect(res[1]!.score).toBeCloseTo(1 / Math.sqrt(6) / (2 / 3), 5);
    // Re-weighting needs no refit: popular alone puts B before C as well, by popularity.
    const popularOnly = withHybridWeights(s, { weights: { itemknn: 0, popular: 1 } });
    expect(rankForUser(popularOnly, { userId: 4, model: 'hybrid', k: 2 }).map((r) => r.postId)).toEqual([
      2, 3,
    ]);
  });

  it('rejects weights for components that were not built', () => {
    const s = buildSnapshot(dataset(ABC_POSTS, ABC), { models: ['itemknn'] });
    const none = { ease: 0, itemknn: 0, ials: 0, content: 0, popular: 0, sequence: 0, trend: 0 };
    expect(() => withHybridWeights(s, { weights: { ...none, ials: 1 }, coldWeights: none })).toThrow(
      /hybrid weight for 'ials' is 1 but that component is not built in this snapshot; built: itemknn, popular/,
    );
  });
});
