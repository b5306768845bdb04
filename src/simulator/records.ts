// Builds the simulated upstream records (user, post, interaction JSON) from generated columns and (seed, id).
//
// Users and posts are not stored as objects: each is rebuilt on demand from its id and a few typed
// columns, so 100,000 users cost a few hundred kilobytes. Key order follows the platform's sample pages.
import type { CategoryObject, PostRecord, UserRecord } from '../upstream/schemas.js';
import { hash01, Rng } from './random.js';
import {
  BIOS,
  type CategoryVocabulary,
  DESCRIPTION_TEMPLATES,
  EMOTIONS,
  FIRST_NAMES,
  GENDERS,
  LAST_NAMES,
  PSYCHOLOGICAL_TRAITS,
  QUALITY_MARKS,
  TITLE_TEMPLATES,
} from './vocabulary.js';

const SALT_USER = 0x5553;
const SALT_POST = 0x5053;
const SALT_CREATOR = 0x4352;
const SALT_QUALITY = 0x5155;

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const dayPrefixes = new Map<number, string>();

/** Formats epoch seconds as the platform's `"YYYY-MM-DD HH:MM:SS"` (UTC); cached per day, so it is cheap. */
export function formatTimestamp(epochSeconds: number): string {
  const day = Math.floor(epochSeconds / 86400);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = `${new Date(day * 86400_000).toISOString().slice(0, 10)} `;
    dayPrefixes.set(day, prefix);
  }
  let rest = epochSeconds - day * 86400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest - minutes * 60;
  return prefix + TWO_DIGITS[hours] + ':' + TWO_DIGITS[minutes] + ':' + TWO_DIGITS[seconds];
}

/** A post's hidden quality in [-1, 1): nudges likes and ratings, derived from (seed, post id). */
export function postQuality(seed: number, postId: number): number {
  return hash01(seed, SALT_QUALITY, postId) * 2 - 1;
}

/** Who a creator is: studios for the first creator of each category, named people after that. */
export interface CreatorIdentity {
  first_name: string;
  last_name: string;
  username: string;
  profile_url: string;
}

/** The identity of creator `index` (0-based) whose main category is `category`. */
export function creatorIdentity(
  seed: number,
  index: number,
  category: CategoryVocabulary,
  categories: number,
): CreatorIdentity {
  if (index < categories) {
    const slug = category.name.toLowerCase();
    return {
      first_name: 'Studio',
      last_name: category.name,
      username: `studio_${slug}`,
      profile_url: `https://img.example/creator/${index + 1}.png`,
    };
  }
  const rng = Rng.derive(seed, SALT_CREATOR, index);
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const handle =
    category.keywords[index % category.keywords.length]?.replace(/[^a-z0-9]+/g, '_') ?? 'creator';
  return {
    first_name: first,
    last_name: last,
    username: `${first.toLowerCase()}_${handle}_${index + 1}`,
    profile_url: `https://img.example/creator/${index + 1}.png`,
  };
}

/** What the user builder needs from the generated dataset. */
export interface UserContext {
  readonly seed: number;
  /** The creator identity when user `id` is a creator, else undefined. */
  creatorOfUser(id: number): { identity: CreatorIdentity; posts: number } | undefined;
  /** Epoch seconds the user joined and was last active (0 when never active). */
  joinedAt(id: number): number;
  lastActiveAt(id: number): number;
  /** Interactions the user made (drives some counters so they look consistent). */
  activityCount(id: number): number;
}

function asciiHandle(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[^A-Za-z0-9]+/g, '')
    .toLowerCase();
}

/** Builds user `id` with every contract field, in the platform's key order. */
export function buildUser(ctx: UserContext, id: number): UserRecord {
  const rng = Rng.derive(ctx.seed, SALT_USER, id);
  const creator = ctx.creatorOfUser(id);
  const studio = creator?.identity.first_name === 'Studio';
  const first = creator?.identity.first_name ?? rng.pick(FIRST_NAMES);
  const last = creator?.identity.last_name ?? rng.pick(LAST_NAMES);
  const username = creator?.identity.username ?? `${asciiHandle(first)}_${asciiHandle(last)}_${id}`;
  const social = rng.chance(creator ? 0.8 : 0.15);
  const activity = ctx.activityCount(id);
  const lastActive = ctx.lastActiveAt(id);
  const lastLogin =
    lastActive > 0
      ? formatTimestamp(lastActive + rng.int(0, 3600))
      : rng.chance(0.6)
        ? formatTimestamp(ctx.joinedAt(id) + rng.int(0, 86400))
        : null;
  const followers = Math.floor(rng.logNormal(creator ? 6 : 2, creator ? 1.2 : 1.5));
  const verified = creator !== undefined && rng.chance(0.5);
  const located = rng.chance(0.2);
  return {
    id,
    first_name: first,
    last_name: last,
    username,
    twitter_url: social ? `https://twitter.com/${username}` : '',
    twitter_username: social ? username : '',
    twitter_profile_url: social ? `https://img.example/twitter/${id}.png` : '',
    email: `${username}@example.com`,
    // Studios are organisations: no gender, as on the platform's own accounts.
    gender: studio || rng.chance(0.4) ? '' : rng.pick(['female', 'male', 'female', 'male', 'non-binary']),
    role: 'user',
    profile_url: creator?.identity.profile_url ?? `https://img.example/user/${id}.png`,
    bio: creator ? `Creating ${creator.posts} videos and counting` : rng.pick(BIOS),
    user_type: creator ? 'creator' : null,
    hourly_rate: creator && rng.chance(0.3) ? rng.int(2, 40) * 5 : 0,
    currency: 'USD',
    website_url: creator && rng.chance(0.5) ? `https://${username.replace(/_/g, '-')}.example` : '',
    'instagram-url': social && rng.chance(0.5) ? `https://instagram.com/${username}` : null,
    youtube_url: creator && rng.chance(0.4) ? `https://youtube.com/@${username}` : null,
    tictok_url: social && rng.chance(0.3) ? `https://tiktok.com/@${username}` : null,
    isVerified: verified,
    referral_code: `REF${id}`,
    has_wallet: rng.chance(0.25),
    last_login: lastLogin,
    share_count: Math.floor(activity * rng.next() * 0.1),
    total_reward_points: activity * 5 + rng.int(0, 50),
    referral_point: rng.chance(0.1) ? rng.int(1, 20) * 10 : 0,
    referral_count: rng.chance(0.1) ? rng.int(1, 12) : 0,
    total_inspired_user_count: creator ? rng.int(0, 500) : 0,
    daily_login_streak: lastActive > 0 ? rng.geometric(3) : 0,
    post_count: creator?.posts ?? 0,
    following_count: Math.floor(rng.logNormal(2.5, 1)),
    follower_count: followers,
    is_verified: verified,
    is_online: rng.chance(0.05),
    latitude: located ? (rng.next() * 140 - 70).toFixed(4) : '',
    longitude: located ? (rng.next() * 360 - 180).toFixed(4) : '',
  };
}

/** What the post builder needs from the generated dataset. */
export interface PostContext {
  readonly seed: number;
  readonly totalPosts: number;
  category(postId: number): { vocabulary: CategoryVocabulary; count: number };
  creator(postId: number): CreatorIdentity;
  createdAtSeconds(postId: number): number;
  counters(postId: number): {
    views: number;
    likes: number;
    inspires: number;
    ratings: number;
    ratingSum: number;
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? '');
}

function slugify(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function durationText(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (minutes === 0) return `${rest} seconds`;
  const head = minutes === 1 ? '1 minute' : `${minutes} minutes`;
  return rest === 0 ? head : `${head} ${rest} seconds`;
}

/**
 * The machine-written `post_summary`: the keys vary from post to post, as on the platform. Most
 * posts carry the rich form; some the bare form of older posts; a very few none at all (null).
 */
function buildSummary(
  rng: Rng,
  vocabulary: CategoryVocabulary,
  keywords: string[],
  title: string,
): Record<string, unknown> | null {
  const [k1 = vocabulary.name, k2 = k1, k3 = k2] = keywords;
  const shape = rng.next();
  if (shape < 0.005) return null;
  if (shape < 0.08) {
    // The bare form of older posts: the category as a keyword, no duration, nobody counted.
    return {
      description: `${title}: ${vocabulary.name.toLowerCase()} video about ${keywords.slice(0, 3).join(', ')}.`,
      keywords: [vocabulary.name, ...keywords.slice(0, 3)].map((keyword) => ({ keyword })),
      topics_of_video: { main_topic: vocabulary.name, sub_topics: [] },
      estimated_duration: '',
      no_of_person_in_video: 0,
    };
  }
  const role = rng.pick(vocabulary.roles);
  const action = rng.pick(vocabulary.actions);
  const persons = rng.chance(0.1) ? 0 : Math.min(6, 1 + rng.geometric(0.5));
  const gender = persons === 0 ? 'none' : rng.pick(GENDERS);
  const summary: Record<string, unknown> = {
    description: fill(rng.pick(DESCRIPTION_TEMPLATES), {
      role,
      Role: capitalise(role),
      action,
      k1,
      k2,
      k3,
      category: vocabulary.name.toLowerCase(),
    }),
    keywords: keywords.map((keyword) => ({ keyword })),
  };
  if (rng.chance(0.85)) summary.emotions = { primary_emotions: rng.sample(EMOTIONS, rng.int(1, 3)) };
  if (rng.chance(0.8))
    summary.actions = { main_actions: [action, ...rng.sample(vocabulary.actions, rng.int(0, 2))] };
  if (rng.chance(0.7)) summary.audio_elements = { specifics: rng.sample(vocabulary.audio, rng.int(1, 2)) };
  if (rng.chance(0.85)) {
    summary.entities = persons === 0 ? { main_character: null } : { main_character: { gender, role } };
  }
  summary.estimated_duration = rng.chance(0.9) ? durationText(rng.int(3, 36) * 5) : '';
  summary.no_of_person_in_video = persons;
  if (rng.chance(0.75))
    summary.targeted_audiance = { groups: rng.sample(vocabulary.audiences, rng.int(1, 3)) };
  if (rng.chance(0.8)) {
    summary.topics_of_video = rng.chance(0.5)
      ? {
          theme: rng.pick(vocabulary.themes),
          visual_storytelling: rng.pick(['before/after', 'tutorial', 'vlog', 'montage']),
        }
      : { main_topic: vocabulary.name, sub_topics: keywords.slice(0, 2) };
  }
  if (rng.chance(0.7))
    summary.visual_elements_of_video = { notable_features: rng.sample(vocabulary.visuals, rng.int(1, 3)) };
  if (rng.chance(0.6)) summary.quality_indicators = { marks: rng.sample(QUALITY_MARKS, rng.int(1, 3)) };
  if (rng.chance(0.6))
    summary.psycological_view_of_video = { traits: rng.sample(PSYCHOLOGICAL_TRAITS, rng.int(1, 2)) };
  return summary;
}

const TOPIC = {
  id: 1,
  name: 'EmpowerVerse',
  description: 'EmpowerVerse community videos',
  image_url: '',
  slug: 'empowerverse',
  is_public: true,
  project_code: 'flic',
  posts_count: 0,
  language: null,
  created_at: '2024-01-01 00:00:00',
  owner: {
    first_name: 'Empower',
    last_name: 'Verse',
    name: 'Empower Verse',
    username: 'empowerverse',
    profile_url: '',
    user_type: null,
    has_evm_wallet: false,
    has_solana_wallet: false,
  },
};

/** Builds post `id` with every contract field, in the platform's key order. */
export function buildPost(ctx: PostContext, id: number): PostRecord {
  const rng = Rng.derive(ctx.seed, SALT_POST, id);
  const { vocabulary, count } = ctx.category(id);
  const creator = ctx.creator(id);
  const counters = ctx.counters(id);
  const keywords = rng.sample(vocabulary.keywords, rng.int(3, 7));
  const [k1 = vocabulary.name, k2 = k1] = keywords;
  const title = fill(rng.pick(TITLE_TEMPLATES), {
    k1,
    k2,
    K1: capitalise(k1),
    n: String(rng.int(3, 10)),
    id: String(id),
  });
  const slug = `${slugify(title)}-${id}`;
  const category: CategoryObject = {
    id: vocabulary.id,
    name: vocabulary.name,
    count,
    description: vocabulary.description,
    image_url: `https://img.example/cat/${vocabulary.id}.png`,
  };
  const averageRating = counters.ratings > 0 ? Math.round(counters.ratingSum / counters.ratings) : 0;
  return {
    id,
    category,
    topic: { ...TOPIC, posts_count: ctx.totalPosts },
    slug,
    title,
    identifier: `ev${id.toString(36)}${Math.floor(rng.next() * 1e6).toString(36)}`,
    comment_count: Math.floor(counters.likes * rng.next() * 0.3),
    upvote_count: counters.likes,
    view_count: counters.views,
    exit_count: Math.floor(counters.views * rng.next() * 0.2),
    rating_count: counters.ratings,
    average_rating: averageRating,
    share_count: Math.floor(counters.inspires * (0.5 + rng.next())),
    bookmark_count: Math.floor(counters.likes * rng.next() * 0.2),
    video_link: `https://video.example/${slug}.mp4`,
    contract_address: '',
    chain_id: '',
    chart_url: '',
    baseToken: { address: '', name: '', symbol: '', image_url: '' },
    is_locked: rng.chance(0.03),
    created_at: ctx.createdAtSeconds(id) * 1000,
    first_name: creator.first_name,
    last_name: creator.last_name,
    username: creator.username,
    user_type: null,
    has_evm_wallet: rng.chance(0.1),
    has_solana_wallet: rng.chance(0.05),
    is_viewed: false,
    upvoted: false,
    bookmarked: false,
    is_available_in_public_feed: !rng.chance(0.02),
    thumbnail_url: `https://img.example/thumb/${id}.jpg`,
    gif_thumbnail_url: rng.chance(0.3) ? `https://img.example/gif/${id}.gif` : '',
    following: false,
    picture_url: creator.profile_url,
    post_summary: buildSummary(rng, vocabulary, keywords, title),
    tags: keywords.slice(0, rng.int(2, Math.min(5, keywords.length))),
    source_matrix: {},
  };
}
