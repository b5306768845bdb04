import { describe, expect, it } from 'vitest';
import { filterColumns } from '../src/recommend/base.js';
import type { FeedResult, ModelSnapshot, UserHistory } from '../src/recommend/index.js';
import {
  buildSnapshot,
  type HybridOptions,
  MODEL_NAMES,
  rankForUser,
  recommendFeed,
  userHistory,
  warmSnapshot,
  withHybridWeights,
} from '../src/recommend/index.js';
import type { HybridParams } from '../src/recommend/models/hybrid.js';
import { selectTopK } from '../src/recommend/topk.js';
import { syntheticTrainingData as generate, SYNTHETIC_TIME } from './support/synthetic-training.js';

// The per-request shortcuts of the hybrid blend (two-stage scoring: sparse components, the cached
// user-independent rest) and of feed composition (one top-k scan) must change no score beyond float32
// rounding and no page.

const { DAY, NOW } = SYNTHETIC_TIME;

const data = generate();
const snapshot = buildSnapshot(data, {
  models: [...MODEL_NAMES],
  ials: { factors: 8, iterations: 2 },
  // Tight run bounds (tastes are one category): composition has to look far down the ranking.
  compose: { maxCategoryRun: 1, maxCreatorRun: 1, freshEvery: 8 },
});

/**
 * The blend as specified, the slow way: every component scored over all posts, normalised per user and
 * added in the order of component names, one float32 rounding per addition. Sparse components add
 * w·(s − lo)/(max − lo) in one step (their untouched posts sit at lo and add exactly 0).
 */
function referenceBlend(s: ModelSnapshot, history: UserHistory): Float32Array | null {
  const params = s.options.hybrid as HybridParams;
  const weights = history.length <= params.coldHistoryMax ? params.coldWeights : params.weights;
  const n = s.base.nPosts;
  const out = new Float32Array(n);
  let any = false;
  for (const name of [...s.components.keys()].sort()) {
    const model = s.components.get(name)!;
    const w = weights[name] ?? 0;
    if (!(w > 0)) continue;
    const recency = params.recency[name];
    const scores = new Float32Array(n);
    if (!model.scoreUser(history, scores, recency ? { recency } : undefined)) continue;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of scores) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const lo = params.normalisation === 'max' ? 0 : min;
    if (!(max > lo)) continue;
    if (model.scoreSparse) {
      const scale = w / (max - lo);
      for (let c = 0; c < n; c++) out[c]! += scale * (scores[c]! - lo);
    } else {
      const inv = 1 / (max - lo);
      for (let c = 0; c < n; c++) out[c]! += w * Math.fround((scores[c]! - lo) * inv);
    }
    any = true;
  }
  return any ? out : null;
}

/**
 * The blend sums its user-independent parts once per key, then adds the user's own parts in double
 * precision: the same numbers as the reference up to the rounding of a few float32 additions.
 */
function expectSameUpToRounding(actual: Float32Array, expected: Float32Array): void {
  let worst = 0;
  for (let c = 0; c < expected.length; c++) {
    worst = Math.max(worst, Math.abs(actual[c]! - expected[c]!) / Math.max(1, Math.abs(expected[c]!)));
  }
  expect(worst).toBeLessThan(1e-6);
}

/** Every user's history, a user without history, and cold and shifted histories from live events. */
function histories(s: ModelSnapshot): UserHistory[] {
  const all = [...data.users].map((u) => userHistory(s.base, u));
  all.push(userHistory(s.base, undefined));
  all.push(userHistory(s.base, undefined, [{ postId: 503, kind: 'like' }]));
  all.push(userHistory(s.base, 7, [{ postId: 640, kind: 'view', at: NOW + 3 * DAY }]));
  return all;
}

describe('hybrid blend fast paths', () => {
  const variants: [string, HybridOptions][] = [
    ['default weights', {}],
    // Two user-independent components next to each other (popular, trend) share one pass.
    ['no sequence', { weights: { sequence: 0 }, coldWeights: { sequence: 0 } }],
    // A sparse component first and a dense one (iALS) in the middle of the blend.
    [
      'iALS instead of content',
      { weights: { content: 0, ials: 0.3 }, coldWeights: { content: 0, ials: 0.3 } },
    ],
    // A dense first component other than content.
    [
      'iALS first',
      { weights: { content: 0, ease: 0, ials: 0.5 }, coldWeights: { content: 0, ease: 0, ials: 0.5 } },
    ],
    ['trend without popular', { weights: { popular: 0 }, coldWeights: { popular: 0 } }],
    [
      'trend alone',
      {
        weights: { ease: 0, itemknn: 0, content: 0, popular: 0, sequence: 0, trend: 1 },
        coldWeights: { ease: 0, itemknn: 0, content: 0, popular: 0, sequence: 0, trend: 1 },
      },
    ],
    ['max normalisation', { normalisation: 'max' }],
  ];

  it.each(variants)('scores the plain blend (%s) up to float32 rounding, cached or not', (_, hybrid) => {
    const s = withHybridWeights(snapshot, hybrid);
    const model = s.models.get('hybrid')!;
    const out = new Float32Array(s.base.nPosts);
    // Twice: the first round fills the per-key cache of trend vectors, the second reads from it.
    for (let round = 0; round < 2; round++) {
      for (const history of histories(s)) {
        const expected = referenceBlend(s, history);
        expect(model.scoreUser(history, out)).toBe(expected !== null);
        if (expected) expectSameUpToRounding(out, expected);
      }
    }
  });

  // Two-stage scoring: candidates merged with the rest of the catalogue must rank like the dense scores.
  const twoStageVariants: [string, HybridOptions][] = [
    ...variants,
    // Few candidates: only the sequence signal reaches posts, everything else ranks by the rest scores.
    [
      'sequence and popularity only',
      {
        weights: { ease: 0, itemknn: 0, content: 0 },
        coldWeights: { ease: 0, itemknn: 0, content: 0 },
      },
    ],
  ];

  it.each(twoStageVariants)('ranks every post as the dense scores do (%s), filtered or not', (_, hybrid) => {
    const s = withHybridWeights(snapshot, hybrid);
    const model = s.models.get('hybrid')!;
    const n = s.base.nPosts;
    const dense = new Float32Array(n);
    const buf = new Int32Array(n);
    const music = filterColumns(s.base, 'music')!;
    let partial = 0;
    for (const userId of [undefined, ...Array.from(data.users.subarray(0, 60))]) {
      const history = userHistory(s.base, userId);
      if (!model.scoreUser(history, dense)) continue;
      const seen = new Uint8Array(n);
      for (let h = 0; h < history.length; h++) seen[history.cols[h]!] = 1;
      for (const category of [undefined, 'music']) {
        const m = selectTopK(dense, n, seen, category ? music : null, buf);
        const want = Array.from(buf.subarray(0, m), (c) => s.base.postIds[c]!);
        const got = rankForUser(s, { userId, k: n, category }).map((r) => r.postId);
        expect(got).toEqual(want);
      }
      const cols = new Int32Array(n);
      const mark = new Uint8Array(n);
      const r = model.scoreCandidates!(history, new Float32Array(n), cols, mark);
      if (r && r.count > 0 && r.count < n) partial++;
    }
    // The merge of candidates with the rest is what this test is about: it must have happened.
    if (_ === 'sequence and popularity only') expect(partial).toBeGreaterThan(40);
  });

  it('content scores sparsely: every sharing post under the postings budget, champions with the part their champion terms carry over it', () => {
    const tight = buildSnapshot(data, {
      models: ['popular', 'content'],
      content: { maxPostings: 60, championsPerTerm: 2 },
    });
    for (const s of [snapshot, tight]) {
      const content = s.components.get('content')!;
      const n = s.base.nPosts;
      const dense = new Float32Array(n);
      const sparse = new Float32Array(n);
      const touched = new Int32Array(n);
      let cut = 0;
      let partial = 0;
      for (const userId of Array.from(data.users.subarray(0, 40))) {
        const history = userHistory(s.base, userId);
        expect(content.scoreUser(history, dense)).toBe(true);
        const r = content.scoreSparse!(history, sparse, touched)!;
        const reached = dense.filter((v) => v > 0).length;
        for (let t = 0; t < r.count; t++) {
          const c = touched[t]!;
          if (s === snapshot) expect(Math.abs(sparse[c]! - dense[c]!)).toBeLessThan(1e-6);
          else {
            // A champion's score is its champion terms' part of the dot product: positive, at most the whole.
            expect(sparse[c]!).toBeGreaterThan(0);
            expect(sparse[c]!).toBeLessThanOrEqual(dense[c]! + 1e-6);
            if (sparse[c]! < dense[c]! - 1e-6) partial++;
          }
          sparse[c] = 0;
        }
        if (s === snapshot) expect(r.count).toBe(reached);
        else {
          expect(r.count).toBeLessThanOrEqual(2 * 64);
          if (r.count < reached) cut++;
        }
      }
      if (s === tight) {
        expect(cut).toBeGreaterThan(30);
        expect(partial).toBeGreaterThan(0);
      }
    }
  });

  it('trend scores depend on the history only through its key (the time bucket of the session)', () => {
    const trend = snapshot.components.get('trend')!;
    const byKey = new Map<number, number[]>();
    const out = new Float32Array(snapshot.base.nPosts);
    for (const history of histories(snapshot)) {
      trend.scoreUser(history, out);
      const key = trend.scoreKey!(history);
      const first = byKey.get(key);
      if (first) expect([...out]).toEqual(first);
      else byKey.set(key, [...out]);
    }
    expect(byKey.size).toBeGreaterThan(10);
  });
});

describe('warming a snapshot', () => {
  it('scores a sample spread over session time and changes no answer', () => {
    const cold = buildSnapshot(data, { models: ['popular', 'itemknn', 'ease', 'content', 'hybrid'] });
    const warm = buildSnapshot(data, { models: ['popular', 'itemknn', 'ease', 'content', 'hybrid'] });
    expect(warmSnapshot(warm, { users: 50 })).toBe(50);
    expect(warmSnapshot(warm, { users: 10_000 })).toBe(120); // every user with history, at most
    for (const userId of [undefined, ...Array.from(data.users)]) {
      for (const category of [undefined, 'music']) {
        const request = { userId, pageSize: 30, category };
        expect(recommendFeed(warm, request)).toEqual(recommendFeed(cold, request));
      }
    }
  });
});

describe('feed composition reads one ranking prefix', () => {
  const ids = (r: FeedResult) => r.items.map((i) => i.postId);

  it('pages of any size concatenate to the long feed when composition must look far ahead', () => {
    for (const userId of [4, 19, 58, 121]) {
      for (const category of [undefined, 'music']) {
        const whole = ids(recommendFeed(snapshot, { userId, pageSize: 90, category }));
        expect(whole.length).toBeGreaterThan(30);
        for (const pageSize of [1, 7, 30]) {
          const pages: number[] = [];
          for (let page = 1; pages.length < whole.length; page++) {
            const items = ids(recommendFeed(snapshot, { userId, page, pageSize, category }));
            if (items.length === 0) break;
            pages.push(...items);
          }
          expect(pages.slice(0, whole.length)).toEqual(whole);
        }
      }
    }
  });

  it('draws a page from far down the ranking under tight run bounds (the case the test above needs)', () => {
    const post = new Map(data.posts.map((p) => [p.id, p]));
    const raw = rankForUser(snapshot, { userId: 4, k: 300 }).map((r) => r.postId);
    const feed = recommendFeed(snapshot, { userId: 4, pageSize: 20 });
    const modelRanks = feed.items.filter((i) => i.source !== 'fresh').map((i) => raw.indexOf(i.postId));
    expect(Math.max(...modelRanks)).toBeGreaterThanOrEqual(30);
    const at = (i: number) => post.get(feed.items[i]!.postId)!;
    for (let i = 1; i < feed.items.length; i++) {
      expect(at(i).category).not.toBe(at(i - 1).category);
      expect(at(i).creator).not.toBe(at(i - 1).creator);
    }
  });
});
