import { describe, expect, it } from 'vitest';
import type {
  FeedRequest,
  FeedResult,
  LiveEvent,
  ModelSnapshot,
  PostContent,
  TrainingData,
} from '../src/recommend/index.js';
import {
  buildSnapshot,
  explainHybrid,
  InteractionKind,
  MODEL_NAMES,
  rankForUser,
  recommendFeed,
  userHistory,
  withHybridWeights,
} from '../src/recommend/index.js';
import { mulberry32 } from '../src/recommend/random.js';
import { FeedError } from '../src/shared/errors.js';
import { type EventTuple, interactionColumns } from './support/synthetic-training.js';

const DAY = 86_400;
const NOW = 1_700_000_000;
const CATEGORIES = ['Fitness', 'Cooking', 'Music', 'Travel', 'Finance'];

/** A small seeded catalogue: 5 categories × 20 posts, 6 creators, some fresh posts, users with tastes. */
function generate(seed = 1): TrainingData {
  const rand = mulberry32(seed);
  const posts: PostContent[] = [];
  for (let i = 0; i < 100; i++) {
    const cat = i % CATEGORIES.length;
    const name = CATEGORIES[cat]!;
    posts.push({
      id: 1000 + i,
      title: `${name} video ${i}`,
      category: name,
      categoryId: cat + 1,
      projectCode: `${name.slice(0, 3).toLowerCase()}-code`,
      creator: `creator${i % 6}`,
      createdAt: (i % 9 === 0 ? NOW - rand() * 2 * DAY : NOW - (10 + rand() * 100) * DAY) * 1000,
      summary: `${name.toLowerCase()} tips and ${name.toLowerCase()} stories number ${i % 7}`,
      keywords: [name.toLowerCase(), `tag${i % 4}`],
    });
  }
  const events: EventTuple[] = [];
  for (let u = 1; u <= 80; u++) {
    const taste = Math.floor(rand() * CATEGORIES.length);
    const n = 3 + Math.floor(rand() * 25);
    for (let e = 0; e < n; e++) {
      const cat = rand() < 0.75 ? taste : Math.floor(rand() * CATEGORIES.length);
      const i = cat + CATEGORIES.length * Math.floor(rand() ** 2 * 20);
      const r = rand();
      const kind = r < 0.6 ? InteractionKind.view : r < 0.8 ? InteractionKind.like : r < 0.9 ? 2 : 3;
      events.push([
        u,
        1000 + i,
        kind,
        NOW - (30 - e) * 3600 * rand() - DAY,
        kind === 3 ? 20 + rand() * 80 : Number.NaN,
      ]);
    }
  }
  return {
    users: Int32Array.from({ length: 82 }, (_, u) => u + 1), // users 81 and 82 never interacted
    posts,
    interactions: interactionColumns(events),
    now: NOW,
  };
}

const data = generate();
const snapshot = buildSnapshot(data, { models: [...MODEL_NAMES] });
const ids = (r: FeedResult) => r.items.map((i) => i.postId);
const seenOf = (s: ModelSnapshot, userId: number, live: readonly LiveEvent[] = []) =>
  new Set([...userHistory(s.base, userId, live).cols].map((c) => s.base.postIds[c]));
const postById = new Map(data.posts.map((p) => [p.id, p]));

describe('recommendFeed: seen posts', () => {
  it('never returns a post the user interacted with, for any model, page or user', () => {
    for (const model of MODEL_NAMES) {
      for (let userId = 1; userId <= 82; userId += 3) {
        const seen = seenOf(snapshot, userId);
        for (const page of [1, 2, 3]) {
          const feed = recommendFeed(snapshot, { userId, model, page, pageSize: 10 });
          for (const id of ids(feed)) expect(seen.has(id)).toBe(false);
        }
      }
    }
  });

  it('excludes a post watched after the build at once, and a like shifts the feed', () => {
    const before = recommendFeed(snapshot, { userId: 5, pageSize: 20 });
    const watched = before.items[0]!.postId;
    const live: LiveEvent[] = [{ postId: watched, kind: 'view', at: NOW + 60 }];
    const after = recommendFeed(snapshot, { userId: 5, pageSize: 20, liveEvents: live });
    expect(ids(after)).not.toContain(watched);
    expect(after.total).toBe(before.total - 1);
    for (const id of ids(recommendFeed(snapshot, { userId: 5, page: 2, pageSize: 20, liveEvents: live }))) {
      expect(seenOf(snapshot, 5, live).has(id)).toBe(false);
    }
    const liked = recommendFeed(snapshot, {
      userId: 5,
      pageSize: 20,
      liveEvents: [{ postId: before.items[5]!.postId, kind: 'like', at: NOW + 60 }],
    });
    expect(liked.items.map((i) => i.score)).not.toEqual(before.items.slice(0, 20).map((i) => i.score));
  });

  it('lets an unknown user build a history from live events alone', () => {
    const feed = recommendFeed(snapshot, { userId: 5000, liveEvents: [{ postId: 1003, kind: 'like' }] });
    expect(feed.historyLength).toBe(1);
    expect(feed.cold).toBe(false);
    expect(ids(feed)).not.toContain(1003);
  });
});

describe('recommendFeed: category filter', () => {
  it('matches the category name case-insensitively and the topic project_code as an alias', () => {
    const byName = recommendFeed(snapshot, { userId: 7, category: 'FITNESS', pageSize: 15 });
    expect(byName.items.length).toBeGreaterThan(0);
    for (const id of ids(byName)) expect(postById.get(id)!.category).toBe('Fitness');
    expect(ids(recommendFeed(snapshot, { userId: 7, category: ' fitness ', pageSize: 15 }))).toEqual(
      ids(byName),
    );
    expect(ids(recommendFeed(snapshot, { userId: 7, category: 'FIT-code', pageSize: 15 }))).toEqual(
      ids(byName),
    );
  });

  it('rejects a category that matches nothing, naming what is accepted', () => {
    expect(() => recommendFeed(snapshot, { userId: 7, category: 'Gardening' })).toThrow(FeedError);
    expect(() => recommendFeed(snapshot, { userId: 7, category: 'Gardening' })).toThrow(
      /category 'Gardening' matches no category name or topic project_code.*Fitness/,
    );
  });
});

describe('recommendFeed: pagination', () => {
  it('pages concatenate to the top of one long ranking, without repeats', () => {
    for (const compose of [true, false]) {
      for (const userId of [3, 40, 81]) {
        const whole = ids(recommendFeed(snapshot, { userId, pageSize: 40, compose }));
        const pages: number[] = [];
        for (let page = 1; page <= 8; page++)
          pages.push(...ids(recommendFeed(snapshot, { userId, page, pageSize: 5, compose })));
        expect(pages).toEqual(whole);
        expect(new Set(pages).size).toBe(pages.length);
      }
    }
  });

  it('answers a page past the end with an empty list and reports how many posts remain', () => {
    const userId = 3;
    const total = recommendFeed(snapshot, { userId }).total;
    expect(total).toBe(100 - seenOf(snapshot, userId).size);
    const last = Math.ceil(total / 10);
    expect(recommendFeed(snapshot, { userId, page: last }).items.length).toBe(total - (last - 1) * 10);
    expect(recommendFeed(snapshot, { userId, page: last + 1 }).items).toEqual([]);
    const all = [];
    for (let page = 1; page <= last; page++) all.push(...ids(recommendFeed(snapshot, { userId, page })));
    expect(new Set(all).size).toBe(total);
  });
});

describe('recommendFeed: composition', () => {
  const maxRun = (values: readonly unknown[]) => {
    let best = 0;
    let run = 0;
    values.forEach((v, i) => {
      run = i > 0 && v === values[i - 1] ? run + 1 : 1;
      best = Math.max(best, run);
    });
    return best;
  };

  it('bounds consecutive posts from one category and from one creator', () => {
    const { maxCategoryRun, maxCreatorRun } = snapshot.options.compose;
    for (const userId of [1, 2, 10, 33, 81]) {
      const feed = recommendFeed(snapshot, { userId, pageSize: 60 });
      const posts = ids(feed).map((id) => postById.get(id)!);
      expect(maxRun(posts.map((p) => p.category))).toBeLessThanOrEqual(maxCategoryRun);
      expect(maxRun(posts.map((p) => p.creator))).toBeLessThanOrEqual(maxCreatorRun);
    }
    // Under a category filter only the creator bound applies.
    const fitness = ids(recommendFeed(snapshot, { userId: 1, pageSize: 15, category: 'fitness' }));
    expect(maxRun(fitness.map((id) => postById.get(id)!.creator))).toBeLessThanOrEqual(maxCreatorRun);
  });

  it('keeps the ranked posts but reorders them (composition only permutes the ranking prefix)', () => {
    const raw = new Set(ids(recommendFeed(snapshot, { userId: 2, pageSize: 100, compose: false })));
    const composed = ids(recommendFeed(snapshot, { userId: 2, pageSize: 100 }));
    expect(new Set(composed)).toEqual(raw);
  });

  it('gives a fresh slot only to a fresh post scoring at least freshMinScoreRatio × the best score', () => {
    for (const ratio of [0, 0.5, 0.8, 1]) {
      const s = buildSnapshot(data, { models: ['popular', 'ease'], compose: { freshMinScoreRatio: ratio } });
      let freshSlots = 0;
      for (const userId of [4, 12, 19, 33, 58, 77]) {
        const feed = recommendFeed(s, { userId, model: 'ease', pageSize: 30, compose: true });
        const best = rankForUser(s, { userId, model: 'ease', k: 1 })[0]!.score;
        for (const item of feed.items.filter((i) => i.source === 'fresh')) {
          expect(item.score).toBeGreaterThanOrEqual(ratio * best);
          freshSlots++;
        }
      }
      if (ratio === 0) expect(freshSlots).toBe(6 * 6);
      if (ratio === 1) expect(freshSlots).toBeLessThan(6);
    }
    expect(() => buildSnapshot(data, { compose: { freshMinScoreRatio: 1.5 } })).toThrow(
      /compose.freshMinScoreRatio must be a number 0..1, got 1.5/,
    );
    expect(() => buildSnapshot(data, { compose: { freshEvery: 2.5 } })).toThrow(
      /compose.freshEvery must be an integer/,
    );
    expect(() => buildSnapshot(data, { compose: { fresh: 1 } as never })).toThrow(/unknown option 'fresh'/);
  });

  it("takes a request's composition overrides over the snapshot's, option by option", () => {
    const fresh = (f: FeedResult) => f.items.filter((i) => i.source === 'fresh').length;
    const s = buildSnapshot(data, { models: ['popular', 'ease'], compose: { freshMinScoreRatio: 0 } });
    for (const userId of [4, 12, 19]) {
      const feed = (composeOptions?: FeedRequest['composeOptions']) =>
        recommendFeed(s, { userId, model: 'ease', pageSize: 30, ...(composeOptions && { composeOptions }) });
      const own = feed();
      expect(fresh(own)).toBe(6);
      expect(fresh(feed({ freshEvery: 0 }))).toBe(0);
      const often = feed({ freshEvery: 3 });
      expect(fresh(often)).toBe(10);
      // The snapshot's other rules still apply, and a request without overrides is unchanged.
      const runs = often.items.map((i) => postById.get(i.postId)!.creator);
      expect(maxRun(runs)).toBeLessThanOrEqual(s.options.compose.maxCreatorRun);
      expect(ids(feed())).toEqual(ids(own));
    }
  });

  it('reserves slots for fresh posts', () => {
    const fresh = (id: number) => postById.get(id)!.createdAt! / 1000 >= NOW - 3 * DAY;
    const feed = recommendFeed(snapshot, { userId: 12, pageSize: 20, explain: true });
    const freshItems = feed.items.filter((i) => i.source === 'fresh');
    expect(freshItems.length).toBeGreaterThanOrEqual(2);
    for (const item of freshItems) {
      expect(fresh(item.postId)).toBe(true);
      expect(item.reason).toMatch(/^fresh, your best new post: /);
    }
  });

  it("fills fresh slots with the user's own best fresh posts, not the most popular ones", () => {
    // Every fresh slot filled (no score floor), to see which fresh posts take them.
    const snapshot = buildSnapshot(data, { models: [...MODEL_NAMES], compose: { freshMinScoreRatio: 0 } });
    const freshIds = new Set(data.posts.filter((p) => p.createdAt! / 1000 >= NOW - 3 * DAY).map((p) => p.id));
    const byPopularity = rankForUser(snapshot, { model: 'popular', k: data.posts.length })
      .map((r) => r.postId)
      .filter((id) => freshIds.has(id));
    let differs = 0;
    for (const userId of [4, 12, 19, 33, 58, 77]) {
      const feed = recommendFeed(snapshot, { userId, pageSize: 30 });
      const placed = new Set(feed.items.filter((i) => i.source !== 'fresh').map((i) => i.postId));
      const freshSlots = feed.items.filter((i) => i.source === 'fresh').map((i) => i.postId);
      expect(freshSlots.length).toBeGreaterThanOrEqual(3);
      // From the top of the user's ranking of fresh posts (minus those the main ranking placed); the run
      // bounds may hold one back for a later slot, so the order can differ a little.
      const own = rankForUser(snapshot, { userId, k: data.posts.length })
        .map((r) => r.postId)
        .filter((id) => freshIds.has(id) && !placed.has(id));
      const top = own.slice(0, freshSlots.length + 2);
      for (const id of freshSlots) expect(top).toContain(id);
      if (
        freshSlots.join() !==
        byPopularity
          .filter((id) => !placed.has(id))
          .slice(0, freshSlots.length)
          .join()
      )
        differs++;
    }
    expect(differs).toBeGreaterThanOrEqual(4);
  });
});

describe('recommendFeed: cold start', () => {
  it('gives a user without history a popular-and-fresh feed', () => {
    for (const userId of [81, undefined, 123456]) {
      const feed = recommendFeed(snapshot, { userId, pageSize: 20, explain: true });
      expect(feed.cold).toBe(true);
      expect(feed.items).toHaveLength(20);
      expect(feed.items[0]!.reason).toMatch(/popular|trend/);
    }
    expect(ids(recommendFeed(snapshot, { userId: 81 }))).toEqual(ids(recommendFeed(snapshot, {})));
  });

  it('blends content neighbours in for users with one or two interactions only', () => {
    // With content out of the regular blend, only the cold blend brings content neighbours in.
    const blend = withHybridWeights(snapshot, { weights: { content: 0 }, coldWeights: { content: 0.2 } });
    const one = [{ postId: 1000, kind: 'like' as const }];
    const post = [1005, 1010];
    expect(Object.keys(explainHybrid(blend, undefined, post, one))).toContain('content');
    const regular = 40; // a user with a longer history
    expect(userHistory(blend.base, regular).length).toBeGreaterThan(2);
    expect(Object.keys(explainHybrid(blend, regular, post))).not.toContain('content');
  });

  it('ranks the textual neighbour of a lone interaction above an otherwise identical post', () => {
    const posts: PostContent[] = [
      { id: 1, title: 'Sourdough bread', summary: 'baking sourdough bread at home', keywords: ['bread'] },
      {
        id: 2,
        title: 'Sourdough starter',
        summary: 'feeding a sourdough bread starter',
        keywords: ['bread'],
      },
      { id: 3, title: 'Stock market', summary: 'index funds explained simply', keywords: ['money'] },
      { id: 4, title: 'Chess opening', summary: 'learn the italian opening', keywords: ['chess'] },
    ].map((p) => ({
      ...p,
      category: null,
      categoryId: null,
      projectCode: null,
      creator: null,
      createdAt: null,
    }));
    const s = buildSnapshot({
      users: Int32Array.from([1, 2]),
      posts,
      interactions: {
        length: 2,
        userId: Int32Array.from([1, 2]),
        postId: Int32Array.from([1, 4]),
        kind: Uint8Array.from([0, 0]),
        at: Float64Array.from([NOW, NOW]),
        ratingPercent: Float32Array.from([Number.NaN, Number.NaN]),
      },
    });
    const ranking = rankForUser(s, { userId: 1, k: 3 }).map((r) => r.postId);
    expect(ranking.indexOf(2)).toBeLessThan(ranking.indexOf(3));
  });
});

describe('recommendFeed: determinism and explanations', () => {
  it('gives identical feeds from two builds of the same data', () => {
    const again = buildSnapshot(generate(), { models: [...MODEL_NAMES] });
    for (const model of MODEL_NAMES) {
      for (const userId of [1, 17, 55, 82]) {
        const req = { userId, model, pageSize: 25, page: 2, explain: true };
        expect(recommendFeed(again, req)).toEqual(recommendFeed(snapshot, req));
      }
    }
    const live: LiveEvent[] = [{ postId: 1042, kind: 'inspire', at: NOW + 5 }];
    expect(recommendFeed(again, { userId: 9, liveEvents: live })).toEqual(
      recommendFeed(snapshot, { userId: 9, liveEvents: live }),
    );
  });

  it('explains each item with the model and the signals behind it', () => {
    const feed = recommendFeed(snapshot, { userId: 20, pageSize: 10, explain: true });
    expect(feed.model).toBe('hybrid');
    for (const item of feed.items) {
      expect(item.reason).toBeTruthy();
      if (item.source === 'hybrid')
        expect(item.reason).toMatch(/^hybrid: (ease|itemknn|sequence|trend|popular)/);
    }
    expect(recommendFeed(snapshot, { userId: 20 }).items[0]!.reason).toBeUndefined();
  });
});

describe('recommendFeed: bad input', () => {
  it.each([
    [{ page: 0 }, /page must be an integer 1\.\./],
    [{ page: 1.5 }, /page must be an integer/],
    [{ pageSize: 0 }, /page_size must be an integer 1\.\.100, got 0/],
    [{ pageSize: 101 }, /page_size must be an integer 1\.\.100, got 101/],
    [{ model: 'nope' as never }, /model must be one of popular, seed-hybrid, .*got 'nope'/],
  ])('rejects %o with a FeedError naming what is accepted', (request, message) => {
    let error: unknown;
    try {
      recommendFeed(snapshot, { userId: 1, ...request });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).code).toBe('bad_request');
    expect((error as FeedError).message).toMatch(message);
  });

  it('rejects a model that this snapshot did not build', () => {
    const small = buildSnapshot(data, { models: ['popular'] });
    expect(() => recommendFeed(small, { userId: 1, model: 'ease' })).toThrow(
      /model 'ease' is not built in this snapshot; built: popular/,
    );
    expect(recommendFeed(small, { userId: 1, model: 'popular' }).items).toHaveLength(10);
  });
});
