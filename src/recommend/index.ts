// Public API of the recommendation engine: fit a snapshot once per sync (plain data, storable as an
// artifact and shareable between threads), open it where requests are scored, ask it for feeds.

export type { DecodedArtifact, DecodeOptions, EncodedArtifact } from './artifact/format.js';
export {
  ARTIFACT_FORMAT_VERSION,
  ArtifactHasher,
  decodeArtifact,
  encodeArtifact,
} from './artifact/format.js';
export type { PlainData, TypedArray } from './artifact/plain-data.js';
export type { DecodedSnapshot } from './artifact/snapshot-artifact.js';
export { decodeSnapshot, encodeSnapshot } from './artifact/snapshot-artifact.js';
export { postColOf, userRowOf } from './base.js';
export * from './defaults.js';
export type { DiscoveryList, DiscoveryParams, DiscoveryRequest, DiscoveryResult } from './discovery.js';
export { DEFAULT_DISCOVERY, DISCOVERY_LISTS, Discovery } from './discovery.js';
export type { FeedItem, FeedRequest, FeedResult, FeedSource, RankedItem, RankRequest } from './feed.js';
export { explainHybrid, precomputedFeed, rankForUser, recommendFeed, resolveCategory } from './feed.js';
export type { LiveEvent, UserHistory } from './history.js';
export { userHistory } from './history.js';
export type { AnyModelDefinition, BlendDefaults, ModelDefinition, ModelEnv, TuneSpec } from './model.js';
export { bindModel, defineModel, Scratch } from './model.js';
export type { ContentParams } from './models/content.js';
export type { EaseParams } from './models/ease.js';
export type { HybridParams, HybridWeights } from './models/hybrid.js';
export type { IalsParams } from './models/ials.js';
export type { ItemKnnParams } from './models/itemknn.js';
export type { PopularParams } from './models/popular.js';
export type { Recommender, ScoreOptions, SparseScores } from './models/recommender.js';
export type { SeedHybridParams } from './models/seed-hybrid.js';
export type { SequenceParams } from './models/sequence.js';
export type { TrendParams } from './models/trend.js';
export type { PrecomputedRankings, PrecomputeOptions } from './precomputed.js';
export { precomputeRankings, withPrecomputedRankings } from './precomputed.js';
export type { ComponentName, ModelName, ModelRegistry } from './registry.js';
export {
  blendOrder,
  COMPONENT_NAMES,
  DEFAULT_HYBRID,
  entryOf,
  MODEL_NAMES,
  MODEL_REGISTRY,
  modelNames,
} from './registry.js';
export type {
  BuildOptions,
  FitOptions,
  HybridOptions,
  ModelSnapshot,
  RegistryOption,
  ResolvedBuildOptions,
  SnapshotData,
  SnapshotStats,
} from './snapshot.js';
export {
  buildSnapshot,
  fitSnapshot,
  openSnapshot,
  resolveBuildOptions,
  resolveCompose,
  withHybridWeights,
} from './snapshot.js';
export type * from './types.js';
export { InteractionKind } from './types.js';
export { type WarmOptions, warmSnapshot } from './warm.js';
