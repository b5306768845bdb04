// The storage layer's public API: open a store, write pages, query and stream rows.

export {
  countFeedEvents,
  FEED_EVENT_TYPES,
  type FeedEventInput,
  type FeedEventQuery,
  type FeedEventRow,
  type FeedEventType,
  insertFeedEvent,
  insertFeedEventOnce,
  type KeyedFeedEvent,
  maxFeedEventId,
  streamFeedEvents,
} from './feed-events.js';
export { formatUpstreamTime, upstreamTimeToMs } from './filter.js';
export {
  type ArmDayMetrics,
  type Attribution,
  findAttribution,
  findImpression,
  type Impression,
  insertAttribution,
  insertImpressions,
  latestImpressionOf,
  type OnlineMetricsQuery,
  onlineMetrics,
  pruneImpressions,
} from './impressions.js';
export { type DatabaseTarget, type OpenStoreOptions, openStore, parseDatabaseUrl } from './open.js';
export {
  openPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
  redactDatabaseUrl,
} from './postgres/store.js';
export {
  fetchPostInspiresIds,
  fetchPostLikesIds,
  fetchPostRatingsIdsAndRating,
  fetchPostViewsIds,
  type InteractionIds,
  type InteractionKindInput,
  type InteractionRow,
  loadAllPosts,
  loadPostInspires,
  loadPostLikes,
  loadPostRatings,
  loadPostSummaries,
  loadPostViews,
  loadUsers,
  type QueryFilter,
  type RatingIds,
  type StreamOptions,
  streamAllPosts,
  streamInteractionBatches,
  streamInteractions,
  streamPostInspires,
  streamPostLikes,
  streamPostRatings,
  streamPostSummaries,
  streamPosts,
  streamPostViews,
  streamUsers,
} from './queries.js';
export type { Database } from './schema.js';
export { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
export { computeStats } from './stats.js';
export {
  type LoadTrainingDataOptions,
  loadTrainingDataFromStore,
  upstreamTimeToSeconds,
} from './training-data.js';
export * from './types.js';
