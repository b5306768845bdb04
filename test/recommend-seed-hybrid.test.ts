import { describe, expect, it } from 'vitest';
import type { InteractionKindName, PostContent, TrainingData } from '../src/recommend/index.js';
import {
  buildSnapshot,
  InteractionKind,
  rankForUser,
  recommendFeed,
  userHistory,
} from '../src/recommend/index.js';
import type { ModelEnv } from '../src/recommend/model.js';
import {
  type SeedHybridParams,
  type SeedHybridState,
  seedHybridNeighbours,
} from '../src/recommend/models/seed-hybrid.js';

type Event = [user: number, post: number, kind: InteractionKindName, percent?: number];

function dataset(posts: [id: number, category: string, summary: string][], events: Event[]): TrainingData {
  const n = events.length;
  return {
    users: Int32Array.from(new Set(events.map((e) => e[0]))).sort(),
    posts: posts.map(
      ([id, category, summary]): PostContent => ({
        id,
        title: `post ${id}`,
        category,
        categoryId: null,
        projectCode: null,
        creator: null,
        createdAt: null,
        summary,
        keywords: [],
      }),
    ),
    interactions: {
      length: n,
      userId: Int32Array.from(events, (e) => e[0]),
      postId: Int32Array.from(events, (e) => e[1]),
      kind: Uint8Array.from(events, (e) => InteractionKind[e[2]]),
      at: Float64Array.from(events, (_e, i) => 1_700_000_000 + i),
      ratingPercent: Float32Array.from(events, (e) => e[3] ?? Number.NaN),
    },
  };
}

/*
 * Worked example, computed by hand with the prototype's rules.
 *
 * Posts: 1 Fitness "alpha", 2 Fitness "alpha", 3 Cooking "beta", 4 Cooking "gamma", 5 Music "beta gamma".
 * TF-IDF: every term has df 2 of 5 docs (same idf), so cos(1,2) = 1, cos(3,5) = cos(4,5) = 1/√2, others 0.
 *
 * Interaction matrix (like 1, view 0.5, inspire 1.5, rating > 50 % adds rating/100):
 *   u1: post 1 = 0.5 + 1 = 1.5 (view + like), post 3 = 0.8 (rating 80 %)      ‖u1‖ = √2.89 = 1.7
 *   u2: post 1 = 1, post 2 = 1 (likes)                                         ‖u2‖ = √2
 *   u3: post 3 = 0.5 (view), post 4 = 1.5 (inspire)                            ‖u3‖ = √2.5
 *   u4: post 5 = 0 (a 40 % rating counts nothing, but it is an interaction)
 * cos(u1,u2) = 1.5/(1.7·√2) ≈ 0.62389, cos(u1,u3) = 0.4/(1.7·√2.5) ≈ 0.14882, cos(u1,u4) = 0.
 *
 * For u1 (interacted with 1 and 3; categories Fitness and Cooking, both in the top 3 → ×1.2):
 *   post 2: collab 0.62389·1, content cos(2,1) + cos(2,3) = 1   → (0.6·0.62389 + 0.4·1)·1.2 ≈ 0.92920
 *   post 4: collab 0.14882·1.5, content 0                       → 0.6·0.22323·1.2 ≈ 0.16073
 *   post 5: collab 0, content 0 + 1/√2, Music not boosted       → 0.4·0.70711 ≈ 0.28284
 * Ranking: 2, 5, 4 (seen posts 1 and 3 removed).
 */
const POSTS: [number, string, string][] = [
  [1, 'Fitness', 'alpha'],
  [2, 'Fitness', 'alpha'],
  [3, 'Cooking', 'beta'],
  [4, 'Cooking', 'gamma'],
  [5, 'Music', 'beta gamma'],
];
const EVENTS: Event[] = [
  [1, 1, 'view'],
  [1, 1, 'like'],
  [1, 3, 'rating', 80],
  [2, 1, 'like'],
  [2, 2, 'like'],
  [3, 3, 'view'],
  [3, 4, 'inspire'],
  [4, 5, 'rating', 40],
];

describe('seed-hybrid (the prototype, re-implemented)', () => {
  const snapshot = buildSnapshot(dataset(POSTS, EVENTS), { models: ['seed-hybrid'] });
  const neighbours = (history: ReturnType<typeof userHistory>) =>
    seedHybridNeighbours(
      snapshot.data.states['seed-hybrid'] as SeedHybridState,
      snapshot.envs.get('seed-hybrid') as ModelEnv<SeedHybridParams>,
      history,
    );

  it('finds the cosine-nearest users over the prototype-weighted matrix', () => {
    const nb = neighbours(userHistory(snapshot.base, 1));
    expect([...nb.rows].map((r) => snapshot.base.userIds[r])).toEqual([2, 3]);
    expect(nb.similarities[0]).toBeCloseTo(1.5 / (1.7 * Math.SQRT2), 6);
    expect(nb.similarities[1]).toBeCloseTo(0.4 / (1.7 * Math.sqrt(2.5)), 6);
  });

  it('reproduces the worked example: 0.6·collaborative + 0.4·content, ×1.2 in the top categories', () => {
    const s12 = 1.5 / (1.7 * Math.SQRT2);
    const s13 = 0.4 / (1.7 * Math.sqrt(2.5));
    expect(rankForUser(snapshot, { userId: 1, model: 'seed-hybrid', k: 10 })).toEqual([
      { postId: 2, score: expect.closeTo((0.6 * s12 + 0.4) * 1.2, 5) },
      { postId: 5, score: expect.closeTo(0.4 / Math.SQRT2, 5) },
      { postId: 4, score: expect.closeTo(0.6 * s13 * 1.5 * 1.2, 5) },
    ]);
  });

  it('scores a user whose only interaction weighs 0 by content alone, ties by post id', () => {
    // u4: no collaborative signal; posts 3 and 4 each share one term with post 5 (cos 1/√2).
    const res = rankForUser(snapshot, { userId: 4, model: 'seed-hybrid', k: 10 });
    expect(res.map((r) => r.postId)).toEqual([3, 4, 1, 2]);
    expect(res[0]!.score).toBeCloseTo(0.4 / Math.SQRT2, 5);
    expect(res[2]!.score).toBe(0);
  });

  it('returns nothing for a user without interactions, as the prototype did', () => {
    expect(rankForUser(snapshot, { userId: 99, model: 'seed-hybrid', k: 10 })).toEqual([]);
    // The feed answers every user: it falls back to popular and says so.
    const feed = recommendFeed(snapshot, { userId: 99, model: 'seed-hybrid' });
    expect(feed.fallback).toBe(true);
    expect(feed.model).toBe('popular');
    expect(feed.items.length).toBeGreaterThan(0);
  });

  it('applies the category filter after removing seen posts', () => {
    const feed = recommendFeed(snapshot, {
      userId: 1,
      model: 'seed-hybrid',
      category: 'fitness',
      compose: false,
    });
    expect(feed.items.map((i) => i.postId)).toEqual([2]);
  });

  it('boosts only the three most frequent categories (ties: the category met first)', () => {
    // One user, identical texts: content = 5 for both candidates, no neighbours. The user's categories:
    // A ×2, then B, C, D once each → top 3 = A, B, C. Post 2 (A) is boosted over post 1 (D).
    const data = dataset(
      [
        [1, 'D', 'zeta'],
        [2, 'A', 'zeta'],
        [10, 'A', 'zeta'],
        [11, 'A', 'zeta'],
        [12, 'B', 'zeta'],
        [13, 'C', 'zeta'],
        [14, 'D', 'zeta'],
      ],
      [10, 11, 12, 13, 14].map((p): Event => [1, p, 'view']),
    );
    const s = buildSnapshot(data, { models: ['seed-hybrid'] });
    expect(rankForUser(s, { userId: 1, model: 'seed-hybrid', k: 10 })).toEqual([
      { postId: 2, score: expect.closeTo(0.4 * 5 * 1.2, 5) },
      { postId: 1, score: expect.closeTo(0.4 * 5, 5) },
    ]);
  });
});
