// Runtime schemas for the upstream EmpowerVerse records (../shared/api-contract.md).
//
// Every record from the network passes one of these before it is stored. They check types and
// ranges and never coerce ("12" is not an id). Unknown extra fields pass through untouched so
// that nothing the platform adds is lost; optional fields may be missing or null.
import { z } from 'zod';

/** A platform id: a positive safe integer. */
export const PlatformId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** `"YYYY-MM-DD HH:MM:SS"` (UTC), the format of every interaction timestamp upstream. */
export const UpstreamTimestamp = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/, {
    message: 'expected "YYYY-MM-DD HH:MM:SS"',
  });

const text = z.string().nullish();
const count = z.number().nullish();
const flag = z.boolean().nullish();
/** Coordinates arrive as "" or as numbers or numeric strings; kept as sent. */
const coordinate = z.union([z.string(), z.number()]).nullish();

export const UserRecord = z.looseObject({
  id: PlatformId,
  first_name: text,
  last_name: text,
  username: text,
  email: text,
  role: text,
  profile_url: text,
  bio: text,
  gender: text,
  user_type: text,
  hourly_rate: count,
  currency: text,
  website_url: text,
  twitter_url: text,
  twitter_username: text,
  twitter_profile_url: text,
  'instagram-url': text,
  youtube_url: text,
  tictok_url: text,
  isVerified: flag,
  is_verified: flag,
  referral_code: text,
  has_wallet: flag,
  last_login: UpstreamTimestamp.nullish(),
  share_count: count,
  total_reward_points: count,
  referral_point: count,
  referral_count: count,
  total_inspired_user_count: count,
  daily_login_streak: count,
  post_count: count,
  following_count: count,
  follower_count: count,
  is_online: flag,
  latitude: coordinate,
  longitude: coordinate,
});
export type UserRecord = z.infer<typeof UserRecord>;

export const CategoryObject = z.looseObject({
  id: z.number().int().nullish(),
  name: text,
  count: count,
  description: text,
  image_url: text,
});
export type CategoryObject = z.infer<typeof CategoryObject>;

export const BaseTokenObject = z.looseObject({
  address: text,
  name: text,
  symbol: text,
  image_url: text,
});

/** Any JSON value: `post_summary` and `source_matrix` vary from post to post and are kept whole. */
const anyJson = z.unknown().optional();

export const PostRecord = z.looseObject({
  id: PlatformId,
  title: text,
  slug: text,
  identifier: text,
  category: CategoryObject.nullish(),
  topic: z.record(z.string(), z.unknown()).nullish(),
  comment_count: count,
  upvote_count: count,
  view_count: count,
  exit_count: count,
  rating_count: count,
  average_rating: count,
  share_count: count,
  bookmark_count: count,
  video_link: text,
  thumbnail_url: text,
  gif_thumbnail_url: text,
  contract_address: text,
  chain_id: z.union([z.string(), z.number()]).nullish(),
  chart_url: text,
  baseToken: BaseTokenObject.nullish(),
  is_locked: flag,
  /** Epoch milliseconds. */
  created_at: z.number().int().nonnegative().nullish(),
  first_name: text,
  last_name: text,
  username: text,
  user_type: text,
  has_evm_wallet: flag,
  has_solana_wallet: flag,
  is_viewed: flag,
  upvoted: flag,
  bookmarked: flag,
  is_available_in_public_feed: flag,
  following: flag,
  picture_url: text,
  tags: z.array(z.unknown()).nullish(),
  source_matrix: anyJson,
  post_summary: anyJson,
});
export type PostRecord = z.infer<typeof PostRecord>;

const interaction = {
  id: PlatformId,
  post_id: PlatformId,
  user_id: PlatformId,
};

export const ViewRecord = z.looseObject({ ...interaction, viewed_at: UpstreamTimestamp });
export type ViewRecord = z.infer<typeof ViewRecord>;

export const LikeRecord = z.looseObject({ ...interaction, liked_at: UpstreamTimestamp });
export type LikeRecord = z.infer<typeof LikeRecord>;

export const InspireRecord = z.looseObject({ ...interaction, inspired_at: UpstreamTimestamp });
export type InspireRecord = z.infer<typeof InspireRecord>;

export const RatingRecord = z.looseObject({
  ...interaction,
  rating_percent: z.number().min(0).max(100),
  rated_at: UpstreamTimestamp,
});
export type RatingRecord = z.infer<typeof RatingRecord>;
