/**
 * `empowerverse-feed` as a library: what `import … from 'empowerverse-feed'` offers.
 *
 * - **Store**: `openStore(url)` opens (and migrates) a SQLite file or a `postgres://` database; the typed
 *   query API (`fetch*Ids`, `load*`, `stream*`) reads it the way the Python prototype's
 *   `database_manager.py` did, on either dialect.
 * - **Sync**: `runSync` fills or refreshes a store from the EmpowerVerse API, resuming from checkpoints.
 * - **Simulator**: `startSimulator` serves a generated (or file-backed) EmpowerVerse API on 127.0.0.1.
 * - **Recommender**: `loadTrainingDataFromStore` → `buildSnapshot` → `recommendFeed`; `new Discovery(snapshot)`
 *   for the similar, trending and latest lists.
 * - **Server**: `startServer` runs the whole feed service; `buildApp` + `ModelHolder` compose it by hand.
 *
 * Everything here is named on purpose: internals (column specs, upserters, worker protocols, CLI
 * commands) stay private so they can change without breaking users. The CLI is the `empowerverse` bin.
 * @example
 * import { loadUsers, openStore } from 'empowerverse-feed';
 * const store = await openStore('data.db', { readonly: true });
 * try { console.log((await loadUsers(store)).users.length); } finally { await store.close(); }
 * @module
 */

// Configuration: environment variables and flag overrides, validated once.
export { type Config, type ConfigInput, loadConfig, upstreamOptions } from './config/config.js';
// The recommender: fit a snapshot once per sync, ask it for feeds.
export type {
  BuildOptions,
  DiscoveryList,
  DiscoveryParams,
  DiscoveryRequest,
  DiscoveryResult,
  FeedItem,
  FeedRequest,
  FeedResult,
  FeedSource,
  InteractionColumns,
  InteractionKindName,
  LiveEvent,
  ModelName,
  ModelSnapshot,
  PostContent,
  RankedItem,
  RankRequest,
  SnapshotData,
  SnapshotStats,
  TrainingData,
  UserHistory,
} from './recommend/index.js';
export {
  buildSnapshot,
  DEFAULT_DISCOVERY,
  DEFAULT_MODEL,
  DISCOVERY_LISTS,
  Discovery,
  decodeSnapshot,
  encodeSnapshot,
  explainHybrid,
  fitSnapshot,
  InteractionKind,
  MODEL_NAMES,
  openSnapshot,
  rankForUser,
  recommendFeed,
  resolveBuildOptions,
  userHistory,
} from './recommend/index.js';
// The feed service.
export { type AppOptions, buildApp } from './server/app.js';
export {
  ModelHolder,
  type ModelHolderOptions,
  type ModelInfo,
  type ModelSource,
} from './server/model-holder.js';
export { type RunningServer, type ServeOptions, startServer } from './server/serve.js';
// Errors (`FeedError` carries a code and an HTTP status) and the pino logger the server and sync take.
export { describeError, type ErrorCode, FeedError } from './shared/errors.js';
export { createLogger, type Logger, type LoggerOptions } from './shared/logger.js';
// The simulated EmpowerVerse API.
export {
  DEFAULT_GENERATE_OPTIONS,
  expectedCounts,
  type FaultOptions,
  FileDataset,
  type GenerateOptions,
  generateDataset,
  type HiddenTastes,
  hiddenTastesOf,
  loadDatasetFromFolder,
  type ReactingUsersOptions,
  type ReactingUsersSummary,
  type RunningSimulator,
  runReactingUsers,
  SimulatedDataset,
  type SimulatorData,
  type SimulatorOptions,
  type SimulatorStats,
  startSimulator,
  writeDatasetToFolder,
} from './simulator/index.js';
// The store and its query API.
export {
  type ArmDayMetrics,
  countFeedEvents,
  type DatabaseTarget,
  type Dialect,
  FEED_EVENT_TYPES,
  type FeedEventInput,
  type FeedEventQuery,
  type FeedEventRow,
  type FeedEventType,
  fetchPostInspiresIds,
  fetchPostLikesIds,
  fetchPostRatingsIdsAndRating,
  fetchPostViewsIds,
  formatUpstreamTime,
  type InteractionIds,
  type InteractionKindInput,
  type InteractionRow,
  insertFeedEvent,
  insertFeedEventOnce,
  type KeyedFeedEvent,
  type LoadTrainingDataOptions,
  loadAllPosts,
  loadPostInspires,
  loadPostLikes,
  loadPostRatings,
  loadPostSummaries,
  loadPostViews,
  loadTrainingDataFromStore,
  loadUsers,
  maxFeedEventId,
  type OnlineMetricsQuery,
  type OpenStoreOptions,
  onlineMetrics,
  openPostgresStore,
  openSqliteStore,
  openStore,
  type PostgresStore,
  type PostgresStoreOptions,
  type PostSummaryRow,
  parseDatabaseUrl,
  type QueryFilter,
  type RatingIds,
  redactDatabaseUrl,
  type SqliteStore,
  type SqliteStoreOptions,
  type Store,
  type StoreStats,
  type StreamOptions,
  type SyncState,
  streamAllPosts,
  streamFeedEvents,
  streamInteractionBatches,
  streamInteractions,
  streamPostInspires,
  streamPostLikes,
  streamPostRatings,
  streamPostSummaries,
  streamPosts,
  streamPostViews,
  streamUsers,
  TABLE_NAMES,
  type TableName,
  upstreamTimeToMs,
  type WriteResult,
} from './store/index.js';
// Sync from the EmpowerVerse API into a store: the run, its progress reporters, PostSummary writers.
export {
  createLlmSummariser,
  deterministicSummariser,
  type LlmSummariserOptions,
  type Summariser,
  type SummaryOutcome,
} from './sync/llm-summariser.js';
export {
  logProgress,
  type ProgressReporter,
  type SourceProgress,
  silentProgress,
  terminalProgress,
} from './sync/progress.js';
export { summarisePost } from './sync/summarise.js';
export {
  parseSyncTargets,
  runSync,
  type SkippedRecord,
  type SourceReport,
  SYNC_TARGETS,
  type SyncOptions,
  type SyncReport,
  type SyncTarget,
} from './sync/sync.js';
// Upstream records as the store returns them, and the client settings a sync takes.
export type {
  InspireRecord,
  InteractionSource,
  LikeRecord,
  PostRecord,
  RatingRecord,
  RetryInfo,
  SourceName,
  UpstreamClientOptions,
  UserRecord,
  ViewRecord,
} from './upstream/index.js';
export { INTERACTION_SOURCES, SOURCE_NAMES } from './upstream/index.js';
