// Precomputed per-user rankings (issue 7: candidates first): a feed composed from a user's stored list is
// the feed scoring would serve, requests the list cannot answer are scored, and the lists survive the
// artifact.
import { describe, expect, it } from 'vitest';
import {
  decodeSnapshot,
  encodeSnapshot,
  type FeedRequest,
  fitSnapshot,
  openSnapshot,
  precomputedFeed,
  precomputeRankings,
  recommendFeed,
  type SnapshotData,
  withPrecomputedRankings,
} from '../src/recommend/index.js';
import { syntheticTrainingData } from './support/synthetic-training.js';

const DEPTH = 100;
const data: SnapshotData = fitSnapshot(syntheticTrainingData(5));
const withLists = withPrecomputedRankings(data, { depth: DEPTH });
const userIds = Array.from(data.base.userIds);

/** True when `request` was answered without scoring: no model of the snapshot was asked for scores. */
function answeredFromList(snapshot: ReturnType<typeof openSnapshot>, request: FeedRequest): boolean {
  let calls = 0;
  const restore: (() => void)[] = [];
  for (const model of snapshot.models.values()) {
    const rec = model as { -readonly [K in keyof typeof model]: (typeof model)[K] };
    const { scoreUser, scoreCandidates } = rec;
    rec.scoreUser = (...args) => {
      calls++;
      return scoreUser(...args);
    };
    if (scoreCandidates) {
      rec.scoreCandidates = (...args) => {
        calls++;
        return scoreCandidates(...args);
      };
    }
    restore.push(() => {
      rec.scoreUser = scoreUser;
      if (scoreCandidates) rec.scoreCandidates = scoreCandidates;
    });
  }
  try {
    recommendFeed(snapshot, request);
  } finally {
    for (const undo of restore) undo();
  }
  return calls === 0;
}

describe('precomputed rankings', () => {
  it('keep the top unseen posts of every user with history, best first', () => {
    const rankings = withLists.rankings!;
    expect(rankings.model).toBe('hybrid');
    const { indptr, indices } = data.base.userItems;
    for (let row = 0; row < userIds.length; row++) {
      const list = rankings.cols.subarray(rankings.offsets[row]!, rankings.offsets[row + 1]!);
      const seen = new Set(indices.subarray(indptr[row]!, indptr[row + 1]!));
      if (seen.size === 0) {
        expect(list.length).toBe(0);
        continue;
      }
      expect(list.length).toBe(Math.min(DEPTH, data.base.nPosts - seen.size));
      for (const col of list) expect(seen.has(col)).toBe(false);
      const scores = rankings.scores.subarray(rankings.offsets[row]!, rankings.offsets[row + 1]!);
      for (let i = 1; i < scores.length; i++) expect(scores[i]!).toBeLessThanOrEqual(scores[i - 1]!);
    }
  });

  it('serve the same pages as scoring, for every user, page and page size, at any depth', () => {
    const scored = openSnapshot(data);
    const shapes = [
      [1, 10],
      [2, 10],
      [1, 20],
      [1, 36],
      [1, 37],
      [3, 10],
      [4, 10],
      [2, 50],
      [30, 10],
    ] as const;
    const expected = new Map<string, ReturnType<typeof recommendFeed>>();
    for (const userId of userIds)
      for (const [page, pageSize] of shapes)
        expected.set(`${userId}/${page}/${pageSize}`, recommendFeed(scored, { userId, page, pageSize }));
    // Shallow lists run out more often: a request whose composition would read past a list's end is
    // scored, and every answer stays the scored one.
    const fromList = new Map<number, number>();
    for (const depth of [DEPTH, 48, 12]) {
      const listed = openSnapshot(depth === DEPTH ? withLists : withPrecomputedRankings(data, { depth }));
      let count = 0;
      for (const userId of userIds) {
        for (const [page, pageSize] of shapes) {
          const request = { userId, page, pageSize };
          const want = expected.get(`${userId}/${page}/${pageSize}`)!;
          expect(recommendFeed(listed, request)).toEqual(want);
          // What the HTTP thread serves by itself: the same page, exactly when recommendFeed skips scoring.
          const quick = precomputedFeed(listed, request);
          expect(quick !== null).toBe(answeredFromList(listed, request));
          if (quick !== null) {
            expect(quick).toEqual(want);
            count++;
          }
        }
      }
      fromList.set(depth, count);
    }
    // Every user with history gets at least page 1 at size 10 and 20 from lists of 48 or more.
    const withHistory = userIds.filter(
      (_id, row) => data.base.userItems.indptr[row + 1]! > data.base.userItems.indptr[row]!,
    ).length;
    expect(fromList.get(DEPTH)!).toBeGreaterThan(withHistory * 4);
    expect(fromList.get(48)!).toBeGreaterThanOrEqual(withHistory * 2);
    expect(fromList.get(12)!).toBeGreaterThan(0);
    expect(fromList.get(12)!).toBeLessThan(fromList.get(48)!);
  });

  it('keep lists for the most recently active users only when capped, and score the others', () => {
    const capped = withPrecomputedRankings(data, { depth: DEPTH, maxUsers: 30 });
    const rankings = capped.rankings!;
    const { indptr, lastAt } = data.base.userItems;
    const rows = userIds.map((_id, row) => row).filter((row) => indptr[row + 1]! > indptr[row]!);
    const sessionTime = (row: number) => lastAt[indptr[row + 1]! - 1]!;
    const listedRows = rows.filter((row) => rankings.offsets[row + 1]! > rankings.offsets[row]!);
    expect(listedRows.length).toBe(30);
    const newestUnlisted = Math.max(
      ...rows.filter((row) => !listedRows.includes(row)).map((row) => sessionTime(row)),
    );
    for (const row of listedRows) expect(sessionTime(row)).toBeGreaterThanOrEqual(newestUnlisted);
    // Listed rows hold the same lists as uncapped; every user still gets the scored page.
    const full = withLists.rankings!;
    for (const row of listedRows) {
      expect(rankings.cols.subarray(rankings.offsets[row]!, rankings.offsets[row + 1]!)).toEqual(
        full.cols.subarray(full.offsets[row]!, full.offsets[row + 1]!),
      );
    }
    const listed = openSnapshot(capped);
    const scored = openSnapshot(data);
    for (const row of rows) {
      const request = { userId: userIds[row]!, pageSize: 20 };
      expect(answeredFromList(listed, request)).toBe(listedRows.includes(row));
      expect(recommendFeed(listed, request)).toEqual(recommendFeed(scored, request));
    }
  });

  it('leave requests the lists cannot answer to scoring', () => {
    const listed = openSnapshot(withLists);
    const userId = userIds.find(
      (_id, row) => data.base.userItems.indptr[row + 1]! > data.base.userItems.indptr[row]!,
    )!;
    expect(answeredFromList(listed, { userId, pageSize: 20 })).toBe(true);
    for (const request of [
      { userId, pageSize: 20, explain: true },
      { userId, pageSize: 20, model: 'ease' },
      { userId, pageSize: 20, category: 'Music' },
      { userId, pageSize: 20, compose: false },
      { userId, pageSize: 20, liveEvents: [{ postId: 777, kind: 'like' as const }] },
      { userId: 121, pageSize: 20 }, // no history
      { pageSize: 20 },
    ]) {
      expect(answeredFromList(listed, request), JSON.stringify(request)).toBe(false);
      expect(precomputedFeed(listed, request), JSON.stringify(request)).toBeNull();
    }
    // A page whose composition reads past a list cut at its depth.
    const shallow = openSnapshot(withPrecomputedRankings(data, { depth: 50 }));
    expect(data.base.nPosts).toBeGreaterThan(40 + 50);
    expect(precomputedFeed(shallow, { userId, pageSize: 10 })).not.toBeNull();
    expect(precomputedFeed(shallow, { userId, page: 3, pageSize: 20 })).toBeNull();
    expect(answeredFromList(shallow, { userId, page: 3, pageSize: 20 })).toBe(false);
  });

  it('round-trip through the artifact', () => {
    const { bytes } = encodeSnapshot(withLists, {});
    const decoded = decodeSnapshot(bytes).data;
    expect(decoded.rankings).toEqual(withLists.rankings);
    // Column lists are stored in 16 bits here (far fewer than 65,536 posts) and read back as such.
    expect(decoded.rankings!.cols).toBeInstanceOf(Uint16Array);
    expect(decoded.rankings!.freshCols).toBeInstanceOf(Uint16Array);
    const opened = openSnapshot(decoded);
    const scored = openSnapshot(data);
    for (const userId of userIds.slice(0, 40)) {
      expect(recommendFeed(opened, { userId, pageSize: 20 })).toEqual(
        recommendFeed(scored, { userId, pageSize: 20 }),
      );
    }
  });

  it('are not made for a depth of 0 or a snapshot without the default model', () => {
    expect(precomputeRankings(openSnapshot(data), { depth: 0 })).toBeNull();
    const popularOnly = fitSnapshot(syntheticTrainingData(5), { models: ['popular'] });
    expect(precomputeRankings(openSnapshot(popularOnly), { depth: 10 })).toBeNull();
    expect(() => precomputeRankings(openSnapshot(data), { depth: -1 })).toThrow(/depth/);
  });
});
