// Public API of the recommendation engine: build a snapshot once per sync, then ask it for feeds.

export * from './defaults.js';
export type { FeedItem, FeedRequest, FeedResult, FeedSource, RankedItem, RankRequest } from './feed.js';
export { explainHybrid, rankForUser, recommendFeed, resolveCategory } from './feed.js';
export type { LiveEvent, UserHistory } from './history.js';
export { userHistory } from './history.js';
export type { Recommender } from './models/recommender.js';
export type {
  BuildOptions,
  HybridOptions,
  ModelSnapshot,
  ResolvedBuildOptions,
  SnapshotStats,
} from './snapshot.js';
export { buildSnapshot, resolveBuildOptions, withHybridWeights } from './snapshot.js';
export type * from './types.js';
export { InteractionKind } from './types.js';
