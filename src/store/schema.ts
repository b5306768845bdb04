// Kysely table types of the store: one interface per table, named and shaped like the platform's records.
//
// Column names are the upstream field names, except `instagram-url`, stored as `instagram_url` (a hyphen
// is no SQL identifier). `isVerified` and `baseToken` keep their camelCase names (quoted in PostgreSQL).
// Booleans read back as 0/1 from SQLite and as true/false from PostgreSQL (`SqlBool`); every JSON-valued
// column reads back as its JSON text on both dialects (the PostgreSQL store returns jsonb as text), so
// `records.ts` parses it the same way everywhere.
import type { Generated, SqlBool } from 'kysely';

/** JSON-encoded text (`jsonb` in PostgreSQL, TEXT in SQLite); null when the field was null or absent. */
export type JsonText = string;

/** Upstream interaction time, `"YYYY-MM-DD HH:MM:SS"` UTC: sorts lexicographically = chronologically. */
export type UpstreamTime = string;

export interface UserTable {
  id: number;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  email: string | null;
  role: string | null;
  profile_url: string | null;
  bio: string | null;
  gender: string | null;
  user_type: string | null;
  hourly_rate: number | null;
  currency: string | null;
  website_url: string | null;
  twitter_url: string | null;
  twitter_username: string | null;
  twitter_profile_url: string | null;
  /** Upstream `instagram-url`. */
  instagram_url: string | null;
  youtube_url: string | null;
  tictok_url: string | null;
  isVerified: SqlBool | null;
  is_verified: SqlBool | null;
  referral_code: string | null;
  has_wallet: SqlBool | null;
  last_login: UpstreamTime | null;
  share_count: number | null;
  total_reward_points: number | null;
  referral_point: number | null;
  referral_count: number | null;
  total_inspired_user_count: number | null;
  daily_login_streak: number | null;
  post_count: number | null;
  following_count: number | null;
  follower_count: number | null;
  is_online: SqlBool | null;
  /** JSON: upstream sends "" or a number or a numeric string; kept as sent. */
  latitude: JsonText | null;
  /** JSON: as `latitude`. */
  longitude: JsonText | null;
  /** JSON object of the fields the record carried beyond the known ones, or null. */
  extra: JsonText | null;
}

export interface PostTable {
  id: number;
  title: string | null;
  slug: string | null;
  identifier: string | null;
  category: JsonText | null;
  topic: JsonText | null;
  comment_count: number | null;
  upvote_count: number | null;
  view_count: number | null;
  exit_count: number | null;
  rating_count: number | null;
  average_rating: number | null;
  share_count: number | null;
  bookmark_count: number | null;
  video_link: string | null;
  thumbnail_url: string | null;
  gif_thumbnail_url: string | null;
  contract_address: string | null;
  chart_url: string | null;
  /** JSON: a string or a number upstream. */
  chain_id: JsonText | null;
  baseToken: JsonText | null;
  is_locked: SqlBool | null;
  /** Epoch milliseconds (bigint in PostgreSQL, read back as a JS number). */
  created_at: number | null;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  user_type: string | null;
  has_evm_wallet: SqlBool | null;
  has_solana_wallet: SqlBool | null;
  is_viewed: SqlBool | null;
  upvoted: SqlBool | null;
  bookmarked: SqlBool | null;
  is_available_in_public_feed: SqlBool | null;
  following: SqlBool | null;
  picture_url: string | null;
  tags: JsonText | null;
  source_matrix: JsonText | null;
  post_summary: JsonText | null;
  extra: JsonText | null;
}

export interface PostViewTable {
  id: number;
  user_id: number;
  post_id: number;
  viewed_at: UpstreamTime;
  extra: JsonText | null;
}

export interface PostLikeTable {
  id: number;
  user_id: number;
  post_id: number;
  liked_at: UpstreamTime;
  extra: JsonText | null;
}

export interface PostInspireTable {
  id: number;
  user_id: number;
  post_id: number;
  inspired_at: UpstreamTime;
  extra: JsonText | null;
}

export interface PostRatingTable {
  id: number;
  user_id: number;
  post_id: number;
  rating_percent: number;
  rated_at: UpstreamTime;
  extra: JsonText | null;
}

export interface PostSummaryTable {
  post_id: number;
  summary: string;
  /** JSON array of strings. */
  keywords: JsonText;
  category: string | null;
  username: string | null;
  upvote_count: number;
  view_count: number;
  average_rating: number;
  no_of_person_in_video: number | null;
  estimated_duration: string | null;
  main_character_gender: string | null;
}

/** Columns of `SyncState` (types.ts), one row per source. */
export interface SyncStateTable {
  source: string;
  status: 'running' | 'complete';
  next_page: number;
  page_size: number;
  started_at: string | null;
  last_synced_at: string | null;
  last_record_count: number | null;
}

/** An interaction received by the feed service (`POST /events`); its id is the store's own, not a platform id. */
export interface FeedEventTable {
  /** Autoincrement: generated on insert. */
  id: Generated<number>;
  user_id: number;
  post_id: number;
  /** `view` | `like` | `inspire` | `rating`. */
  type: string;
  /** 0–100 for ratings, null otherwise. */
  rating_percent: number | null;
  created_at: UpstreamTime;
  /** The client's `Idempotency-Key` (unique per user; migration 0005), null when sent without one. */
  idempotency_key: string | null;
}

/** A stored model snapshot artifact's metadata; its bytes are in ModelSnapshotChunk. */
export interface ModelSnapshotTable {
  id: Generated<number>;
  format_version: number;
  /** ISO time. */
  created_at: string;
  byte_size: number;
  chunk_count: number;
  chunk_bytes: number;
  /** Hex SHA-256 of the artifact (its trailer). */
  checksum: string;
  /** JSON metadata of the builder (what data the snapshot covers, build figures). */
  header: string;
  /** 1 once every chunk is written; readers ignore 0 (a writer still at work, or one that died). */
  complete: number;
}

export interface ModelSnapshotChunkTable {
  snapshot_id: number;
  seq: number;
  data: Uint8Array;
}

/** A finished sync run (sync-runs.ts); `sources` is the JSON of its per-source figures. */
export interface SyncRunTable {
  id: Generated<number>;
  /** Who started it: `cli`, `demo`, `admin`, `interval` or `program`. */
  trigger: string;
  /** `complete` | `failed` | `aborted`. */
  status: string;
  /** ISO times. */
  started_at: string;
  finished_at: string;
  duration_ms: number;
  records: number;
  changed: number;
  invalid: number;
  /** Sources that ended with an error. */
  errors: number;
  /** The first error (a source's or the run's), redacted. */
  error: string | null;
  sources: string;
}

/** One `empowerverse eval --db` on this database (eval-runs.ts): its options and report as JSON. */
export interface EvalRunTable {
  id: Generated<number>;
  /** ISO time. */
  created_at: string;
  options: string;
  report: string;
}

/** A stored `empowerverse tune` result (tuned-configs.ts, migration 0007); JSON in text columns. */
export interface TunedConfigTable {
  id: Generated<number>;
  /** ISO time. */
  created_at: string;
  /** The winning BuildOptions (Infinity spelled "Infinity"). */
  options: string;
  /** Validation GroupMetrics of the defaults and of the winner. */
  baseline: string;
  tuned: string;
  trials: number;
  /** The time budget the search ran under, in seconds; null when unlimited. */
  budget_seconds: number | null;
  /** The sync watermark (JSON) of the data it tuned on. */
  watermark: string;
}

/** A served feed page (impressions.ts): who saw which posts in which order, from which arm, when. */
export interface FeedImpressionTable {
  /** The id the response carried (`recomm_id`). */
  recomm_id: string;
  /** Null for a page served to no known user (a discovery list without user_id, an unknown username). */
  user_id: number | null;
  /** `feed`, `trending`, `latest` or `similar`. */
  route: string;
  /** What ranked it: a model name, a list name or `experiment:arm`. */
  arm: string;
  /** Comma-separated post ids in the order shown (position = index + 1). */
  posts: string;
  /** Epoch ms. */
  created_at: number;
}

/** A FeedEvent attributed to an impression (impressions.ts); arm, type and time copied for the metrics. */
export interface FeedEventAttributionTable {
  event_id: number;
  recomm_id: string;
  /** 1-based position of the post in the impression. */
  position: number;
  arm: string;
  /** The event's type (`view`, `like`, `inspire`, `rating`). */
  type: string;
  /** The impression's time, epoch ms. */
  impressed_at: number;
}

/** A signed-in dashboard session (dashboard-sessions.ts, migration 0008). */
export interface DashboardSessionTable {
  /** SHA-256 (base64url) of the cookie's random id; the id itself is never stored. */
  id_hash: string;
  /** Epoch ms after which the session is refused (and pruned). */
  expires_at: number;
}

export interface Database {
  User: UserTable;
  Post: PostTable;
  PostView: PostViewTable;
  PostLike: PostLikeTable;
  PostInspire: PostInspireTable;
  PostRating: PostRatingTable;
  PostSummary: PostSummaryTable;
  sync_state: SyncStateTable;
  FeedEvent: FeedEventTable;
  ModelSnapshot: ModelSnapshotTable;
  ModelSnapshotChunk: ModelSnapshotChunkTable;
  SyncRun: SyncRunTable;
  EvalRun: EvalRunTable;
  TunedConfig: TunedConfigTable;
  FeedImpression: FeedImpressionTable;
  FeedEventAttribution: FeedEventAttributionTable;
  DashboardSession: DashboardSessionTable;
}
