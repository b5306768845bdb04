// The discovery lists over a model snapshot: similar posts (item-kNN plus content, never the post
// itself), trending (recent momentum) and latest (newest first), with the feed's paging, category filter
// and seen-post exclusion.
import { describe, expect, it } from 'vitest';
import {
  buildSnapshot,
  Discovery,
  type DiscoveryRequest,
  type DiscoveryResult,
  InteractionKind,
  type LiveEvent,
  type PostContent,
  recommendFeed,
  type TrainingData,
  userHistory,
} from '../src/recommend/index.js';
import { FeedError } from '../src/shared/errors.js';
import { type EventTuple, interactionColumns, syntheticTrainingData } from './support/synthetic-training.js';

const DAY = 86_400;
const NOW = 1_700_000_000;
const { view, like } = InteractionKind;

/**
 * Eight posts in two categories. Posts 1, 2 and 3 share an audience (2 is 1's closest: two users in
 * common); post 4 has no interactions but the same words as post 1; post 8 has no creation time.
 */
function handmade(): TrainingData {
  const post = (id: number, category: string, words: string, createdDaysAgo: number | null): PostContent => ({
    id,
    title: words,
    category,
    categoryId: category === 'Yoga' ? 1 : 2,
    projectCode: category === 'Yoga' ? 'yoga-code' : null,
    creator: `creator${id}`,
    createdAt: createdDaysAgo === null ? null : (NOW - createdDaysAgo * DAY) * 1000,
    summary: words,
    keywords: words.split(' ').slice(0, 2),
  });
  const posts = [
    post(1, 'Yoga', 'sunrise yoga stretching routine', 10),
    post(2, 'Yoga', 'evening breathing exercises', 9),
    post(3, 'Yoga', 'balance poses for beginners', 8),
    post(4, 'Yoga', 'sunrise yoga stretching routine for everyone', 1),
    post(5, 'Cooking', 'pasta dinner in ten minutes', 7),
    post(6, 'Cooking', 'quick pasta sauce', 6),
    post(7, 'Cooking', 'bread baking basics', 5),
    post(8, 'Cooking', 'soup for cold days', null),
  ];
  const events: EventTuple[] = [
    [1, 1, like, NOW - 2 * DAY, Number.NaN],
    [1, 2, like, NOW - 2 * DAY, Number.NaN],
    [2, 1, view, NOW - 3 * DAY, Number.NaN],
    [2, 2, view, NOW - 3 * DAY, Number.NaN],
    [2, 3, view, NOW - 3 * DAY, Number.NaN],
    [3, 5, view, NOW - 1 * DAY, Number.NaN],
    [3, 6, view, NOW - 1 * DAY, Number.NaN],
    // Post 7: much engagement, but a month ago; post 6's two recent views outweigh it.
    ...[4, 5, 6, 7, 8].map((u): EventTuple => [u, 7, like, NOW - 30 * DAY, Number.NaN]),
  ];
  return {
    users: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]),
    posts,
    interactions: interactionColumns(events),
    now: NOW,
  };
}

const snapshot = buildSnapshot(handmade(), { models: ['popular', 'itemknn', 'content'] });
const discovery = new Discovery(snapshot);
const ids = (r: DiscoveryResult) => r.items.map((i) => i.postId);
const list = (request: DiscoveryRequest) => discovery.list(request);

/** Every page of a list at `pageSize`, concatenated (until the first empty page). */
function allPages(request: DiscoveryRequest, pageSize: number): number[] {
  const out: number[] = [];
  for (let page = 1; ; page++) {
    const r = list({ ...request, page, pageSize });
    if (r.items.length === 0) return out;
    out.push(...ids(r));
  }
}

const failure = (request: DiscoveryRequest): FeedError => {
  try {
    list(request);
  } catch (error) {
    if (error instanceof FeedError) return error;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(request)}`);
};

describe('similar posts', () => {
  it('ranks the post sharing the most audience first, and never lists the post itself', () => {
    const r = list({ list: 'similar', postId: 1, pageSize: 10 });
    expect(ids(r)[0]).toBe(2);
    expect(ids(r)).toEqual(expect.arrayContaining([3, 4])); // 3 by audience, 4 by its words
    expect(ids(r)).not.toContain(1);
    expect(r.items.every((i) => i.source === 'similar' && i.score > 0)).toBe(true);
    expect(r.total).toBe(r.items.length);
  });

  it('gives a post nobody interacted with its content neighbours', () => {
    const r = list({ list: 'similar', postId: 4, pageSize: 3, explain: true });
    expect(ids(r)[0]).toBe(1); // the same words
    expect(ids(r)).not.toContain(4);
    expect(r.items[0]!.reason).toMatch(/^similar: item-kNN cosine 0\.000, content cosine 0\.\d{3}$/);
  });

  it('blends item-kNN and content: the weights decide, and each signal alone ranks by its cosine', () => {
    const knnOnly = new Discovery(snapshot, { similarWeights: { itemknn: 1, content: 0 } });
    expect(ids(knnOnly.list({ list: 'similar', postId: 4 }))).toEqual([]); // no audience, no neighbours
    expect(ids(knnOnly.list({ list: 'similar', postId: 1 }))).toEqual([2, 3]);
    const contentOnly = new Discovery(snapshot, { similarWeights: { itemknn: 0, content: 1 } });
    expect(ids(contentOnly.list({ list: 'similar', postId: 1 }))[0]).toBe(4);
    expect(contentOnly.similarSignals).toEqual(['content']);
  });

  it("leaves out the user's posts, live events included", () => {
    const unseen = ids(list({ list: 'similar', postId: 1, userId: 1 })); // user 1 saw 1 and 2
    expect(unseen).not.toContain(2);
    expect(unseen).toContain(3);
    const live = list({ list: 'similar', postId: 1, userId: 1, liveEvents: [{ postId: 3, kind: 'view' }] });
    expect(ids(live)).not.toContain(3);
    expect(live.excluded).toBe(2); // posts 2 and 3 (post 1 is the list's own)
  });

  it('throws not_found for a post the snapshot does not hold, bad_request without a post id', () => {
    expect(failure({ list: 'similar', postId: 999 })).toMatchObject({ code: 'not_found' });
    expect(failure({ list: 'similar' })).toMatchObject({ code: 'bad_request' });
  });

  it('needs item-kNN or content in the snapshot', () => {
    const bare = new Discovery(buildSnapshot(handmade(), { models: ['popular'] }));
    expect(() => bare.list({ list: 'similar', postId: 1 })).toThrow(/need the itemknn or content model/);
    expect(ids(bare.list({ list: 'latest', pageSize: 3 }))).toEqual([4, 7, 6]); // the other lists still work
  });
});

describe('trending', () => {
  it('ranks recent engagement above older, heavier engagement and lists no post nobody engaged with', () => {
    const r = list({ list: 'trending', pageSize: 100 });
    expect(ids(r).indexOf(6)).toBeLessThan(ids(r).indexOf(7));
    expect(ids(r).sort()).toEqual([1, 2, 3, 5, 6, 7]);
    const scores = r.items.map((i) => i.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('scores a post by each user’s interaction weight halved per half-life since their last interaction', () => {
    // Post 6: one view (weight 1) a day before the snapshot's "now"; the matrix's own 365-day decay too.
    const expected = 2 ** (-1 / 3) * 2 ** (-1 / 365);
    const item = list({ list: 'trending', pageSize: 100 }).items.find((i) => i.postId === 6)!;
    expect(item.score).toBeCloseTo(expected, 5);
    const slow = new Discovery(snapshot, { trendingHalfLifeDays: 1000 });
    expect(ids(slow.list({ list: 'trending' }))[0]).toBe(7); // over a long memory, post 7's likes win
  });
});

describe('trending with live events', () => {
  const big = buildSnapshot(syntheticTrainingData());
  const lists = new Discovery(big);
  const { base } = big;
  const order = lists.trendingOrder;
  const postAt = (i: number) => base.postIds[order[i]!]!;
  // Fresh events on posts from the tail, the middle and the head of the stored order, one the snapshot
  // does not hold (ignored), and an older one (decayed like the stored momentum).
  const events: LiveEvent[] = [
    ...Array.from({ length: 30 }, () => ({ postId: postAt(order.length - 1), kind: 'like' as const })),
    { postId: postAt(order.length >> 1), kind: 'inspire' as const, at: base.now + 60 },
    { postId: postAt(0), kind: 'view' as const },
    { postId: 987_654, kind: 'like' as const },
    { postId: postAt(order.length - 2), kind: 'like' as const, at: base.now - 3 * DAY },
  ];

  it('merges the touched posts at stored + live momentum: the same list a full re-sort gives', () => {
    const score = new Float64Array(lists.momentum);
    for (const e of events) {
      const col = base.postIds.indexOf(e.postId);
      if (col < 0) continue;
      const age = base.now - (e.at ?? base.now);
      const w =
        base.weights[e.kind] * (age > 0 ? 2 ** (-age / DAY / base.halfLifeDays) * 2 ** (-age / DAY / 3) : 1);
      score[col] = score[col]! + w;
    }
    const resorted = Array.from(order)
      .sort((a, b) => score[b]! - score[a]! || a - b)
      .slice(0, 100);
    const r = lists.list({ list: 'trending', pageSize: 100, momentumEvents: events });
    expect(ids(r)).toEqual(resorted.map((c) => base.postIds[c]!));
    for (const [k, item] of r.items.entries()) expect(item.score).toBeCloseTo(score[resorted[k]!]!, 4);
    expect(ids(r)[0]).toBe(postAt(order.length - 1)); // 30 fresh likes: from last to first
    expect(r.total).toBe(order.length);
  });

  it('pages, filters and excludes the merged list as the stored one', () => {
    const long = ids(lists.list({ list: 'trending', pageSize: 60, momentumEvents: events }));
    const pages = [1, 2, 3].flatMap((page) =>
      ids(lists.list({ list: 'trending', page, pageSize: 20, momentumEvents: events })),
    );
    expect(pages).toEqual(long);
    const seen = new Set([...userHistory(base, 17).cols].map((c) => base.postIds[c]!));
    const mine = lists.list({ list: 'trending', userId: 17, pageSize: 100, momentumEvents: events });
    const all = lists.list({ list: 'trending', pageSize: 100, momentumEvents: events });
    expect(mine.total + mine.excluded).toBe(all.total);
    expect(ids(mine).slice(0, 30)).toEqual(
      ids(all)
        .filter((id) => !seen.has(id))
        .slice(0, 30),
    );
  });

  it('without live events is the stored list, scores included', () => {
    const r = lists.list({ list: 'trending', pageSize: 50, momentumEvents: [] });
    expect(ids(r)).toEqual(Array.from(order.subarray(0, 50), (c) => base.postIds[c]!));
    expect(r.items.map((i) => i.score)).toEqual(Array.from(order.subarray(0, 50), (c) => lists.momentum[c]!));
  });
});

describe('latest', () => {
  it('lists every post newest first, unknown creation times last', () => {
    expect(allPages({ list: 'latest' }, 3)).toEqual([4, 7, 6, 5, 3, 2, 1, 8]);
    expect(list({ list: 'latest', explain: true }).items[0]).toMatchObject({
      postId: 4,
      score: (NOW - DAY) * 1000,
      reason: 'latest: created 2023-11-13 22:13:20 UTC',
    });
  });
});

describe('every list', () => {
  const requests: DiscoveryRequest[] = [
    { list: 'similar', postId: 1 },
    { list: 'trending' },
    { list: 'latest' },
  ];

  it.each(requests)('pages stably with no repeats: %o', (request) => {
    const whole = ids(list({ ...request, pageSize: 100 }));
    expect(allPages(request, 2)).toEqual(whole);
    expect(new Set(whole).size).toBe(whole.length);
    expect(list({ ...request, page: 50, pageSize: 10 }).items).toEqual([]);
  });

  it.each(requests)('filters by category name (any case) or project_code: %o', (request) => {
    const yoga = ids(list({ ...request, category: 'YOGA', pageSize: 100 }));
    expect(yoga.length).toBeGreaterThan(0);
    expect(yoga.every((id) => id <= 4)).toBe(true);
    expect(ids(list({ ...request, category: 'yoga-code', pageSize: 100 }))).toEqual(yoga);
    const whole = ids(list({ ...request, pageSize: 100 }));
    expect(yoga).toEqual(whole.filter((id) => id <= 4));
  });

  it.each(requests)('refuses bad paging and unknown categories, naming what is accepted: %o', (request) => {
    expect(failure({ ...request, pageSize: 0 }).message).toBe('page_size must be an integer 1..100, got 0');
    expect(failure({ ...request, pageSize: 101 }).code).toBe('bad_request');
    expect(failure({ ...request, page: 0 }).message).toMatch(/^page must be an integer 1\.\./);
    expect(failure({ ...request, category: 'Knitting' }).message).toMatch(/category 'Knitting' matches no/);
  });

  it('leaves the shared scratch buffers as it found them (feeds after a list are unchanged)', () => {
    const feed = { userId: 2, pageSize: 5, model: 'itemknn' };
    const feedBefore = recommendFeed(snapshot, feed);
    for (const request of requests) list({ ...request, userId: 1, category: 'Yoga' });
    expect(snapshot.scratch.seen.every((v) => v === 0)).toBe(true);
    expect(snapshot.scratch.used.every((v) => v === 0)).toBe(true);
    expect(recommendFeed(snapshot, feed)).toEqual(feedBefore);
  });
});

describe('at a realistic shape (synthetic data, every default model)', () => {
  const big = buildSnapshot(syntheticTrainingData());
  const lists = new Discovery(big);

  it("never shows a user's post or the source post, on any page", () => {
    for (const userId of [3, 17, 60]) {
      const seen = new Set([...userHistory(big.base, userId).cols].map((c) => big.base.postIds[c]!));
      for (const request of [
        { list: 'similar', postId: 510 },
        { list: 'trending' },
        { list: 'latest' },
      ] as DiscoveryRequest[]) {
        const r = lists.list({ ...request, userId, pageSize: 100 });
        const withSeen = lists.list({ ...request, pageSize: 100 });
        expect(r.items.length).toBeGreaterThan(0);
        expect(r.items.filter((i) => seen.has(i.postId) || i.postId === request.postId)).toEqual([]);
        expect(r.total + r.excluded).toBe(withSeen.total);
      }
    }
  });
});
