// Which upstream field lives in which column, as what kind of value: the one map that writes and reads share.
import type { InteractionSource, SourceName } from '../upstream/sources.js';
import type { TableName } from './types.js';

/**
 * How a value is stored. `id`/`int`: integers (bigint in PostgreSQL); `float`: double precision;
 * `text`: strings; `time`: `"YYYY-MM-DD HH:MM:SS"` text; `bool`: boolean (0/1 in SQLite);
 * `json`: the value as JSON text (jsonb in PostgreSQL).
 */
export type ColumnKind = 'id' | 'int' | 'float' | 'text' | 'time' | 'bool' | 'json';

export interface ColumnSpec {
  /** Field name in the upstream record. */
  readonly field: string;
  /** Column name in the table. */
  readonly column: string;
  readonly kind: ColumnKind;
}

export interface TableSpec {
  readonly table: TableName;
  /** Primary-key column (the platform id). */
  readonly key: string;
  /** Every stored column but `extra`, the key first. */
  readonly columns: readonly ColumnSpec[];
  /** Upstream field names the columns hold; any other field of a record goes to `extra`. */
  readonly knownFields: ReadonlySet<string>;
  /** Whether the table has an `extra` JSON column for unknown fields. */
  readonly hasExtra: boolean;
}

const col = (field: string, kind: ColumnKind, column = field): ColumnSpec => ({ field, column, kind });

function table(name: TableName, columns: ColumnSpec[], hasExtra = true): TableSpec {
  return {
    table: name,
    key: columns[0]!.column,
    columns,
    knownFields: new Set(columns.map((c) => c.field)),
    hasExtra,
  };
}

const texts = (...fields: string[]) => fields.map((f) => col(f, 'text'));
const floats = (...fields: string[]) => fields.map((f) => col(f, 'float'));
const bools = (...fields: string[]) => fields.map((f) => col(f, 'bool'));

export const USER_SPEC = table('User', [
  col('id', 'id'),
  ...texts(
    'first_name',
    'last_name',
    'username',
    'email',
    'role',
    'profile_url',
    'bio',
    'gender',
    'user_type',
  ),
  col('hourly_rate', 'float'),
  ...texts('currency', 'website_url', 'twitter_url', 'twitter_username', 'twitter_profile_url'),
  col('instagram-url', 'text', 'instagram_url'),
  ...texts('youtube_url', 'tictok_url'),
  ...bools('isVerified', 'is_verified'),
  col('referral_code', 'text'),
  col('has_wallet', 'bool'),
  col('last_login', 'time'),
  ...floats(
    'share_count',
    'total_reward_points',
    'referral_point',
    'referral_count',
    'total_inspired_user_count',
    'daily_login_streak',
    'post_count',
    'following_count',
    'follower_count',
  ),
  col('is_online', 'bool'),
  col('latitude', 'json'),
  col('longitude', 'json'),
]);

export const POST_SPEC = table('Post', [
  col('id', 'id'),
  ...texts('title', 'slug', 'identifier'),
  col('category', 'json'),
  col('topic', 'json'),
  ...floats(
    'comment_count',
    'upvote_count',
    'view_count',
    'exit_count',
    'rating_count',
    'average_rating',
    'share_count',
    'bookmark_count',
  ),
  ...texts('video_link', 'thumbnail_url', 'gif_thumbnail_url', 'contract_address', 'chart_url'),
  col('chain_id', 'json'),
  col('baseToken', 'json'),
  col('is_locked', 'bool'),
  col('created_at', 'int'),
  ...texts('first_name', 'last_name', 'username', 'user_type'),
  ...bools(
    'has_evm_wallet',
    'has_solana_wallet',
    'is_viewed',
    'upvoted',
    'bookmarked',
    'is_available_in_public_feed',
    'following',
  ),
  col('picture_url', 'text'),
  col('tags', 'json'),
  col('source_matrix', 'json'),
  col('post_summary', 'json'),
]);

const interaction = (name: TableName, time: string, rating = false): TableSpec =>
  table(name, [
    col('id', 'id'),
    col('user_id', 'int'),
    col('post_id', 'int'),
    ...(rating ? [col('rating_percent', 'float')] : []),
    col(time, 'time'),
  ]);

export const VIEW_SPEC = interaction('PostView', 'viewed_at');
export const LIKE_SPEC = interaction('PostLike', 'liked_at');
export const INSPIRE_SPEC = interaction('PostInspire', 'inspired_at');
export const RATING_SPEC = interaction('PostRating', 'rated_at', true);

export const SUMMARY_SPEC = table(
  'PostSummary',
  [
    col('post_id', 'id'),
    col('summary', 'text'),
    col('keywords', 'json'),
    col('category', 'text'),
    col('username', 'text'),
    ...floats('upvote_count', 'view_count', 'average_rating', 'no_of_person_in_video'),
    col('estimated_duration', 'text'),
    col('main_character_gender', 'text'),
  ],
  false,
);

/** The table each upstream source is stored in. */
export const SOURCE_SPECS: { readonly [S in SourceName]: TableSpec } = {
  users: USER_SPEC,
  posts: POST_SPEC,
  views: VIEW_SPEC,
  likes: LIKE_SPEC,
  inspires: INSPIRE_SPEC,
  ratings: RATING_SPEC,
};

/** Interaction tables with the name of their timestamp column. */
export const INTERACTION_TABLES = {
  views: { table: 'PostView', time: 'viewed_at' },
  likes: { table: 'PostLike', time: 'liked_at' },
  inspires: { table: 'PostInspire', time: 'inspired_at' },
  ratings: { table: 'PostRating', time: 'rated_at' },
} as const satisfies Record<InteractionSource, { table: TableName; time: string }>;
