// Generates a seeded, realistic EmpowerVerse dataset: users with tastes, Zipf-popular posts, session-shaped interactions.
//
// Interactions live column-wise in typed arrays (2,000,000 of them take ~25 MB and a second or two to
// build); users and posts are rebuilt from (seed, id) when a page asks for them.
import { FeedError } from '../shared/errors.js';
import type { PostRecord, UserRecord } from '../upstream/schemas.js';
import { type InteractionSource, SOURCES, type SourceName } from '../upstream/sources.js';
import type { SimulatorData } from './dataset.js';
import { AliasTable, hash32, permutation, Rng, zipfWeights } from './random.js';
import {
  buildPost,
  buildUser,
  type CreatorIdentity,
  creatorIdentity,
  formatTimestamp,
  type PostContext,
  postQuality,
  type UserContext,
} from './records.js';
import { CATEGORIES, type CategoryVocabulary } from './vocabulary.js';

/** Shares of the `interactions` total per kind; views get the rest. */
export interface InteractionMix {
  likes: number;
  inspires: number;
  ratings: number;
}

export const DEFAULT_MIX: Readonly<InteractionMix> = Object.freeze({
  likes: 0.19,
  inspires: 0.06,
  ratings: 0.2,
});

export interface GenerateOptions {
  /** Seed for everything; the same options always give the same dataset. */
  seed?: number;
  /** Number of users (ids 1..users). */
  users?: number;
  /** Number of posts (ids 1..posts, in creation order). */
  posts?: number;
  /** Total interactions over the four kinds (views + likes + inspires + ratings). */
  interactions?: number;
  /** First day of the simulated period, `YYYY-MM-DD` (UTC). */
  startDate?: string;
  /** Length of the period in days. */
  days?: number;
  /** How many of the built-in categories to use (1..12). */
  categories?: number;
  /** Shares of the total per interaction kind. */
  mix?: Partial<InteractionMix>;
}

export type ResolvedGenerateOptions = Required<Omit<GenerateOptions, 'mix'>> & { mix: InteractionMix };

/** The default size: small enough for tests and the demo. */
export const DEFAULT_GENERATE_OPTIONS: Readonly<ResolvedGenerateOptions> = Object.freeze({
  seed: 42,
  users: 1000,
  posts: 300,
  interactions: 20000,
  startDate: '2024-01-01',
  days: 120,
  categories: CATEGORIES.length,
  mix: DEFAULT_MIX,
});

const MAX_USERS = 10_000_000;
const MAX_POSTS = 1_000_000;
const MAX_INTERACTIONS = 100_000_000;

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new FeedError('bad_request', `${name} must be an integer ${min}..${max}, got ${value}`);
  }
}

function checkShare(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new FeedError('bad_request', `mix.${name} must be a share 0..1, got ${value}`);
  }
}

/** Fills in defaults and checks every option; throws a `bad_request` FeedError naming the bad one. */
export function resolveGenerateOptions(options: GenerateOptions = {}): ResolvedGenerateOptions {
  const resolved: ResolvedGenerateOptions = {
    ...DEFAULT_GENERATE_OPTIONS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    mix: { ...DEFAULT_MIX, ...options.mix },
  };
  checkInteger('seed', resolved.seed, -(2 ** 52), 2 ** 52);
  checkInteger('users', resolved.users, 0, MAX_USERS);
  checkInteger('posts', resolved.posts, 0, MAX_POSTS);
  checkInteger('interactions', resolved.interactions, 0, MAX_INTERACTIONS);
  checkInteger('days', resolved.days, 1, 3650);
  checkInteger('categories', resolved.categories, 1, CATEGORIES.length);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(resolved.startDate) ||
    Number.isNaN(Date.parse(`${resolved.startDate}T00:00:00Z`))
  ) {
    throw new FeedError(
      'bad_request',
      `startDate must be a date YYYY-MM-DD, got ${JSON.stringify(resolved.startDate)}`,
    );
  }
  checkShare('likes', resolved.mix.likes);
  checkShare('inspires', resolved.mix.inspires);
  checkShare('ratings', resolved.mix.ratings);
  if (resolved.interactions > 0 && (resolved.users === 0 || resolved.posts === 0)) {
    throw new FeedError(
      'bad_request',
      `interactions need at least one user and one post, got users=${resolved.users} posts=${resolved.posts}`,
    );
  }
  const split = splitInteractions(resolved.interactions, resolved.mix);
  if (split.likes > split.views || split.ratings > split.views || split.inspires > split.likes) {
    throw new FeedError(
      'bad_request',
      `mix must leave views >= likes, views >= ratings and likes >= inspires, got ${JSON.stringify(resolved.mix)}`,
    );
  }
  return resolved;
}

/** How the `interactions` total splits over the four kinds (exact: the parts sum to the total). */
export function splitInteractions(
  total: number,
  mix: InteractionMix = DEFAULT_MIX,
): Record<InteractionSource, number> {
  const likes = Math.floor(total * mix.likes);
  const inspires = Math.floor(total * mix.inspires);
  const ratings = Math.floor(total * mix.ratings);
  return { views: total - likes - inspires - ratings, likes, inspires, ratings };
}

/**
 * The exact number of records each endpoint serves for these options, without generating anything.
 *
 * @example
 * expectedCounts({ users: 10, posts: 5, interactions: 100 }); // { users: 10, posts: 5, views: 55, likes: 19, … }
 */
export function expectedCounts(options: GenerateOptions = {}): Record<SourceName, number> {
  const resolved = resolveGenerateOptions(options);
  return {
    users: resolved.users,
    posts: resolved.posts,
    ...splitInteractions(resolved.interactions, resolved.mix),
  };
}

/** One interaction kind, column-wise, sorted by time; record `i` has platform id `i + 1`. */
export interface InteractionColumns {
  readonly length: number;
  /** User ids. */
  readonly user: Int32Array;
  /** Post ids. */
  readonly post: Int32Array;
  /** Epoch seconds (UTC). */
  readonly time: Uint32Array;
  /** rating_percent 0..100 (ratings only). */
  readonly rating: Uint8Array | null;
}

/** Sorts positions by a 32-bit key with a stable two-pass radix sort (far faster than a comparator sort). */
function orderByTime(keys: Uint32Array, n: number): Uint32Array {
  let order = new Uint32Array(n);
  let scratch = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const counts = new Uint32Array(65537);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const bucket = (((keys[i] as number) >>> shift) & 0xffff) + 1;
      counts[bucket] = (counts[bucket] as number) + 1;
    }
    for (let b = 1; b <= 65536; b++) counts[b] = (counts[b] as number) + (counts[b - 1] as number);
    for (let i = 0; i < n; i++) {
      const pos = order[i] as number;
      const bucket = ((keys[pos] as number) >>> shift) & 0xffff;
      const at = counts[bucket] as number;
      scratch[at] = pos;
      counts[bucket] = at + 1;
    }
    [order, scratch] = [scratch, order];
  }
  return order;
}

/** Builds sorted columns from unsorted (user, post, time[, rating]) buffers. */
function sortedColumns(
  n: number,
  user: Int32Array,
  post: Int32Array,
  time: Uint32Array,
  rating: Uint8Array | null,
): InteractionColumns {
  const order = orderByTime(time, n);
  const out: InteractionColumns = {
    length: n,
    user: new Int32Array(n),
    post: new Int32Array(n),
    time: new Uint32Array(n),
    rating: rating ? new Uint8Array(n) : null,
  };
  for (let i = 0; i < n; i++) {
    const from = order[i] as number;
    out.user[i] = user[from] as number;
    out.post[i] = post[from] as number;
    out.time[i] = time[from] as number;
    if (rating && out.rating) out.rating[i] = rating[from] as number;
  }
  return out;
}

/**
 * Picks `k` distinct positions out of `n`, each accepted with probability `accept(i)` (rejection
 * sampling), so the subset leans towards high-acceptance positions. Exact size, always terminates.
 */
function chooseSubset(
  n: number,
  k: number,
  rng: Rng,
  accept: (i: number) => number,
  pairKey: (i: number) => number,
): Uint32Array {
  const chosen = new Uint8Array(n);
  // One like (or rating) per user and post: a second one of the same pair is a toggle, not a new record.
  const pairs = new Set<number>();
  const out = new Uint32Array(k);
  let count = 0;
  let tries = 0;
  const maxTries = k * 40 + 1000;
  while (count < k && tries < maxTries) {
    tries++;
    const i = Math.floor(rng.next() * n);
    if (chosen[i] === 0 && rng.next() < accept(i)) {
      chosen[i] = 1;
      const key = pairKey(i);
      if (pairs.has(key)) continue;
      pairs.add(key);
      out[count++] = i;
    }
  }
  // Only reached with extreme mixes: top up with the first positions not yet chosen (pairs may repeat).
  for (let i = 0; count < k && i < n; i++) {
    if (chosen[i] === 0) {
      chosen[i] = 1;
      out[count++] = i;
    }
  }
  return out;
}

/** Up to three taste slots per user. */
const TASTE_SLOTS = 3;
/** Share of views that ignore the user's tastes (exploration of the global popular posts). */
const EXPLORE = 0.15;
/** Zipf exponent of post popularity: the top 1% of posts draw roughly a quarter of the views. */
const POPULARITY_EXPONENT = 0.8;
/** Mean views per session after the first. */
const SESSION_EXTRA_VIEWS = 3;
/** Spread of the log-normal user activity: a heavy tail of power users, many light ones. */
const ACTIVITY_SIGMA = 1.2;

/**
 * A generated dataset. Serves records as JSON (the `SimulatorData` the server reads) and exposes its
 * columns for tests, benchmarks and evaluation.
 */
export class SimulatedDataset implements SimulatorData, UserContext, PostContext {
  readonly options: Readonly<ResolvedGenerateOptions>;
  readonly seed: number;
  readonly label: string;
  readonly counts: Readonly<Record<SourceName, number>>;
  /** Categories in use (the first `options.categories` of the built-in list). */
  readonly categories: readonly CategoryVocabulary[];
  /** Epoch seconds of the period start and end. */
  readonly startSeconds: number;
  readonly endSeconds: number;
  readonly totalPosts: number;

  /** Per post (index = id - 1): category index, creator index, creation time (s), base popularity. */
  readonly postCategory: Uint8Array;
  readonly postCreator: Int32Array;
  readonly postCreated: Uint32Array;
  readonly postPopularity: Float64Array;
  /** Per category index: number of posts. */
  readonly categoryPostCount: Int32Array;
  /** Per user (index = id - 1): taste categories and weights (3 slots), number of slots used. */
  readonly userTasteCategory: Uint8Array;
  readonly userTasteWeight: Float32Array;
  readonly userTasteCount: Uint8Array;
  readonly userJoined: Uint32Array;
  readonly userLastActive: Uint32Array;
  readonly userActivityCount: Int32Array;
  /** Creators are users 1..creatorCount (when that many users exist). */
  readonly creatorCount: number;
  readonly creatorCategory: Uint8Array;
  readonly creatorPostCount: Int32Array;

  readonly interactions: Readonly<Record<InteractionSource, InteractionColumns>>;

  private readonly postViews: Int32Array;
  private readonly postLikes: Int32Array;
  private readonly postInspires: Int32Array;
  private readonly postRatings: Int32Array;
  private readonly postRatingSum: Float64Array;
  private readonly creatorIdentities = new Map<number, CreatorIdentity>();

  constructor(options: GenerateOptions = {}) {
    const o = resolveGenerateOptions(options);
    this.options = Object.freeze(o);
    this.seed = o.seed;
    this.label = `generated seed=${o.seed} users=${o.users} posts=${o.posts} interactions=${o.interactions}`;
    this.categories = CATEGORIES.slice(0, o.categories);
    this.startSeconds = Date.parse(`${o.startDate}T00:00:00Z`) / 1000;
    this.endSeconds = this.startSeconds + o.days * 86400;
    this.totalPosts = o.posts;
    const split = splitInteractions(o.interactions, o.mix);
    this.counts = Object.freeze({ users: o.users, posts: o.posts, ...split });

    const rng = new Rng(hash32(o.seed, 0x47454e));
    const C = this.categories.length;
    const span = this.endSeconds - this.startSeconds;

    // Categories differ in size; users lean towards the big ones too.
    const categoryWeights = this.categories.map((c) => c.weight * (0.7 + 0.6 * rng.next()));
    const categoryTable = new AliasTable(categoryWeights);

    // Creators: the first of each category is its studio; more creators as the catalogue grows.
    this.creatorCount = o.posts === 0 ? 0 : Math.max(Math.min(C, o.posts), Math.ceil(o.posts / 15));
    this.creatorCategory = new Uint8Array(this.creatorCount);
    this.creatorPostCount = new Int32Array(this.creatorCount);
    const creatorsByCategory: number[][] = this.categories.map(() => []);
    for (let k = 0; k < this.creatorCount; k++) {
      const c = k < C ? k : categoryTable.sample(rng);
      this.creatorCategory[k] = c;
      creatorsByCategory[c]?.push(k);
    }

    // Posts: ids follow creation time; the first exists at the period start so early sessions have content.
    const P = o.posts;
    this.postCategory = new Uint8Array(P);
    this.postCreator = new Int32Array(P);
    this.postCreated = new Uint32Array(P);
    this.postPopularity = new Float64Array(P);
    this.categoryPostCount = new Int32Array(C);
    const offsets = new Float64Array(P);
    for (let p = 1; p < P; p++) offsets[p] = rng.next() * span * 0.95;
    offsets.sort();
    const ranks = permutation(P, rng);
    const zipf = zipfWeights(P, POPULARITY_EXPONENT);
    const postsByCategory: number[][] = this.categories.map(() => []);
    for (let p = 0; p < P; p++) {
      const c = categoryTable.sample(rng);
      this.postCategory[p] = c;
      this.categoryPostCount[c] = (this.categoryPostCount[c] as number) + 1;
      postsByCategory[c]?.push(p);
      const own = creatorsByCategory[c] ?? [];
      const k = own.length > 0 && rng.chance(0.85) ? rng.pick(own) : rng.int(0, this.creatorCount - 1);
      this.postCreator[p] = k;
      this.creatorPostCount[k] = (this.creatorPostCount[k] as number) + 1;
      this.postCreated[p] = this.startSeconds + Math.floor(offsets[p] as number);
      this.postPopularity[p] = zipf[ranks[p] as number] as number;
    }

    // Users: 1-3 taste categories with random weights, heavy-tailed activity, a join date.
    const U = o.users;
    this.userTasteCategory = new Uint8Array(U * TASTE_SLOTS);
    this.userTasteWeight = new Float32Array(U * TASTE_SLOTS);
    this.userTasteCount = new Uint8Array(U);
    this.userJoined = new Uint32Array(U);
    this.userLastActive = new Uint32Array(U);
    this.userActivityCount = new Int32Array(U);
    const activity = new Float64Array(U);
    for (let u = 0; u < U; u++) {
      const r = rng.next();
      const slots = Math.min(C, r < 0.35 ? 1 : r < 0.75 ? 2 : 3);
      let total = 0;
      let used = 0;
      for (let s = 0; s < slots; s++) {
        const c = categoryTable.sample(rng);
        let duplicate = false;
        for (let t = 0; t < used; t++)
          if (this.userTasteCategory[u * TASTE_SLOTS + t] === c) duplicate = true;
        if (duplicate) continue;
        const w = rng.exponential(1) + 0.05;
        this.userTasteCategory[u * TASTE_SLOTS + used] = c;
        this.userTasteWeight[u * TASTE_SLOTS + used] = w;
        total += w;
        used++;
      }
      for (let s = 0; s < used; s++) {
        const at = u * TASTE_SLOTS + s;
        this.userTasteWeight[at] = (this.userTasteWeight[at] as number) / total;
      }
      this.userTasteCount[u] = used;
      activity[u] = rng.logNormal(0, ACTIVITY_SIGMA);
      this.userJoined[u] = this.startSeconds + 3600 + Math.floor(rng.next() * span * 0.7);
    }

    // Views come in sessions: a user opens the app at some time and watches a few posts in a row.
    const counts = this.counts;
    const V = counts.views;
    const viewUser = new Int32Array(V);
    const viewPost = new Int32Array(V);
    const viewTime = new Uint32Array(V);
    if (V > 0) {
      const userTable = new AliasTable(activity);
      const globalTable = new AliasTable(this.postPopularity);
      const categoryTables = postsByCategory.map((ids) =>
        ids.length > 0
          ? { ids, table: new AliasTable(ids.map((p) => this.postPopularity[p] as number)) }
          : null,
      );
      const tau = Math.max(3 * 86400, span / 5);
      const pickPost = (u: number, t: number): number => {
        const slots = this.userTasteCount[u] as number;
        for (let attempt = 0; attempt < 24; attempt++) {
          let p: number;
          if (slots === 0 || rng.next() < EXPLORE) {
            p = globalTable.sample(rng);
          } else {
            let r = rng.next();
            let c = this.userTasteCategory[u * TASTE_SLOTS] as number;
            for (let s = 0; s < slots; s++) {
              r -= this.userTasteWeight[u * TASTE_SLOTS + s] as number;
              if (r < 0) {
                c = this.userTasteCategory[u * TASTE_SLOTS + s] as number;
                break;
              }
            }
            const group = categoryTables[c];
            if (!group) continue;
            p = group.ids[group.table.sample(rng)] as number;
          }
          const created = this.postCreated[p] as number;
          if (created >= t) continue;
          // Popularity decays with age, but evergreen posts keep a floor.
          if (rng.next() < 0.12 + 0.88 * Math.exp(-(t - created) / tau)) return p;
        }
        // Fallback: any post that already exists at time t (ids are in creation order).
        let lo = 0;
        let hi = P;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((this.postCreated[mid] as number) < t) lo = mid + 1;
          else hi = mid;
        }
        return lo === 0 ? 0 : Math.floor(rng.next() * lo);
      };
      let n = 0;
      while (n < V) {
        const u = userTable.sample(rng);
        const joined = this.userJoined[u] as number;
        let t = joined + Math.floor(rng.next() * (this.endSeconds - joined));
        const length = 1 + rng.geometric(SESSION_EXTRA_VIEWS);
        let previous = -1;
        for (let j = 0; j < length && n < V && t < this.endSeconds; j++) {
          let p = pickPost(u, t);
          if (p === previous) p = pickPost(u, t);
          viewUser[n] = u + 1;
          viewPost[n] = p + 1;
          viewTime[n] = t;
          n++;
          previous = p;
          if (t > (this.userLastActive[u] as number)) this.userLastActive[u] = t;
          this.userActivityCount[u] = (this.userActivityCount[u] as number) + 1;
          t += 10 + Math.floor(rng.next() * 110);
        }
      }
    }

    const match = (userId: number, postId: number): number => this.tasteMatch(userId, postId);
    const quality = new Float32Array(P);
    for (let p = 0; p < P; p++) quality[p] = postQuality(o.seed, p + 1);

    // Likes: a subset of views, more likely when the post matches the user's taste.
    const viewPair = (i: number) => (viewUser[i] as number) * (P + 1) + (viewPost[i] as number);
    const likeFrom = chooseSubset(
      V,
      counts.likes,
      rng,
      (i) => {
        const q = quality[(viewPost[i] as number) - 1] as number;
        return (0.04 + 0.8 * match(viewUser[i] as number, viewPost[i] as number)) * (1 + 0.3 * q);
      },
      viewPair,
    );
    const L = counts.likes;
    const {
      user: likeUser,
      post: likePost,
      time: likeTime,
    } = followUps(likeFrom, viewUser, viewPost, viewTime, rng, 3, 88);

    // Inspires: a subset of likes (the strongest reactions).
    const I = counts.inspires;
    const inspireFrom = chooseSubset(
      L,
      I,
      rng,
      (j) => 0.2 + 0.6 * match(likeUser[j] as number, likePost[j] as number),
      (j) => j,
    );
    const {
      user: inspireUser,
      post: inspirePost,
      time: inspireTime,
    } = followUps(inspireFrom, likeUser, likePost, likeTime, rng, 1, 30);

    // Ratings: a share of views; the percentage follows taste match and the post's quality.
    const R = counts.ratings;
    const ratingFrom = chooseSubset(
      V,
      R,
      rng,
      (i) => 0.35 + 0.3 * match(viewUser[i] as number, viewPost[i] as number),
      viewPair,
    );
    const ratingUser = new Int32Array(R);
    const ratingPost = new Int32Array(R);
    const ratingTime = new Uint32Array(R);
    const ratingValue = new Uint8Array(R);
    for (let j = 0; j < R; j++) {
      const i = ratingFrom[j] as number;
      const userId = viewUser[i] as number;
      const postId = viewPost[i] as number;
      ratingUser[j] = userId;
      ratingPost[j] = postId;
      ratingTime[j] = (viewTime[i] as number) + 5 + Math.floor(rng.next() * 115);
      const mean = 25 + 60 * match(userId, postId) + 12 * (quality[postId - 1] as number);
      ratingValue[j] = Math.max(0, Math.min(100, Math.round(rng.normal(mean, 12))));
    }

    this.interactions = Object.freeze({
      views: sortedColumns(V, viewUser, viewPost, viewTime, null),
      likes: sortedColumns(L, likeUser, likePost, likeTime, null),
      inspires: sortedColumns(I, inspireUser, inspirePost, inspireTime, null),
      ratings: sortedColumns(R, ratingUser, ratingPost, ratingTime, ratingValue),
    });

    // Post counters shown on the post records agree with the interactions served.
    this.postViews = new Int32Array(P);
    this.postLikes = new Int32Array(P);
    this.postInspires = new Int32Array(P);
    this.postRatings = new Int32Array(P);
    this.postRatingSum = new Float64Array(P);
    const tally = (target: Int32Array, posts: Int32Array) => {
      for (let i = 0; i < posts.length; i++) {
        const p = (posts[i] as number) - 1;
        target[p] = (target[p] as number) + 1;
      }
    };
    tally(this.postViews, viewPost);
    tally(this.postLikes, likePost);
    tally(this.postInspires, inspirePost);
    tally(this.postRatings, ratingPost);
    for (let j = 0; j < R; j++) {
      const p = (ratingPost[j] as number) - 1;
      this.postRatingSum[p] = (this.postRatingSum[p] as number) + (ratingValue[j] as number);
    }
  }

  count(source: SourceName): number {
    return this.counts[source];
  }

  indexOfId(source: SourceName, id: number): number {
    return Number.isSafeInteger(id) && id >= 1 && id <= this.counts[source] ? id - 1 : -1;
  }

  recordJson(source: SourceName, index: number): string {
    if (!(index >= 0 && index < this.counts[source])) {
      throw new RangeError(`${source} index must be 0..${this.counts[source] - 1}, got ${index}`);
    }
    switch (source) {
      case 'users':
        return JSON.stringify(this.userRecord(index + 1));
      case 'posts':
        return JSON.stringify(this.postRecord(index + 1));
      default: {
        // Hand-built: the hot path when syncing millions of interactions.
        const cols = this.interactions[source];
        const head =
          '{"id":' + (index + 1) + ',"post_id":' + cols.post[index] + ',"user_id":' + cols.user[index];
        const at = '"' + formatTimestamp(cols.time[index] as number) + '"}';
        if (cols.rating) return head + ',"rating_percent":' + cols.rating[index] + ',"rated_at":' + at;
        return head + ',"' + SOURCES[source].timestampField + '":' + at;
      }
    }
  }

  /** User `id` (1..users) as the platform sends it. */
  userRecord(id: number): UserRecord {
    return buildUser(this, id);
  }

  /** Post `id` (1..posts) as the platform sends it. */
  postRecord(id: number): PostRecord {
    return buildPost(this, id);
  }

  /**
   * How well post `postId` matches the hidden taste of user `userId` (0..1): the weight of the post's
   * category in the user's taste, 0 when it is not one of theirs. Likes, inspires and ratings follow it.
   */
  tasteMatch(userId: number, postId: number): number {
    const u = userId - 1;
    const c = this.postCategory[postId - 1];
    const slots = this.userTasteCount[u] ?? 0;
    for (let s = 0; s < slots; s++) {
      if (this.userTasteCategory[u * TASTE_SLOTS + s] === c)
        return this.userTasteWeight[u * TASTE_SLOTS + s] as number;
    }
    return 0;
  }

  /** The hidden quality of post `postId`, -1..1: likes and ratings lean towards good posts. */
  postQualityOf(postId: number): number {
    return postQuality(this.seed, postId);
  }

  /** The taste of user `id`: categories (names) with weights summing to 1. */
  userTaste(id: number): { category: string; weight: number }[] {
    const u = id - 1;
    const out: { category: string; weight: number }[] = [];
    for (let s = 0; s < (this.userTasteCount[u] ?? 0); s++) {
      const c = this.userTasteCategory[u * TASTE_SLOTS + s] as number;
      out.push({
        category: this.categories[c]?.name ?? '',
        weight: this.userTasteWeight[u * TASTE_SLOTS + s] as number,
      });
    }
    return out;
  }

  // UserContext / PostContext: what the record builders read.

  creatorOfUser(id: number): { identity: CreatorIdentity; posts: number } | undefined {
    const k = id - 1;
    if (k < 0 || k >= this.creatorCount) return undefined;
    return { identity: this.creatorIdentityOf(k), posts: this.creatorPostCount[k] as number };
  }

  joinedAt(id: number): number {
    return this.userJoined[id - 1] ?? this.startSeconds;
  }

  lastActiveAt(id: number): number {
    return this.userLastActive[id - 1] ?? 0;
  }

  activityCount(id: number): number {
    return this.userActivityCount[id - 1] ?? 0;
  }

  category(postId: number): { vocabulary: CategoryVocabulary; count: number } {
    const c = this.postCategory[postId - 1] as number;
    return {
      vocabulary: this.categories[c] as CategoryVocabulary,
      count: this.categoryPostCount[c] as number,
    };
  }

  creator(postId: number): CreatorIdentity {
    return this.creatorIdentityOf(this.postCreator[postId - 1] as number);
  }

  createdAtSeconds(postId: number): number {
    return this.postCreated[postId - 1] as number;
  }

  counters(postId: number): {
    views: number;
    likes: number;
    inspires: number;
    ratings: number;
    ratingSum: number;
  } {
    const p = postId - 1;
    return {
      views: this.postViews[p] as number,
      likes: this.postLikes[p] as number,
      inspires: this.postInspires[p] as number,
      ratings: this.postRatings[p] as number,
      ratingSum: this.postRatingSum[p] as number,
    };
  }

  private creatorIdentityOf(k: number): CreatorIdentity {
    let identity = this.creatorIdentities.get(k);
    if (!identity) {
      const vocabulary = this.categories[this.creatorCategory[k] as number] as CategoryVocabulary;
      identity = creatorIdentity(this.seed, k, vocabulary, this.categories.length);
      this.creatorIdentities.set(k, identity);
    }
    return identity;
  }
}

/**
 * Generates a dataset; the same options always give the same records.
 *
 * @example
 * const data = generateDataset({ seed: 7, users: 100, posts: 30, interactions: 2000 });
 * data.counts.views; // 1100
 */
export function generateDataset(options: GenerateOptions = {}): SimulatedDataset {
  return new SimulatedDataset(options);
}

/**
 * Interactions that follow earlier ones (a like after its view, an inspire after its like): the same
 * user and post, `minDelay + [0, spread)` seconds later.
 */
function followUps(
  from: ArrayLike<number>,
  user: Int32Array,
  post: Int32Array,
  time: Uint32Array,
  rng: Rng,
  minDelay: number,
  spread: number,
): { user: Int32Array; post: Int32Array; time: Uint32Array } {
  const n = from.length;
  const out = { user: new Int32Array(n), post: new Int32Array(n), time: new Uint32Array(n) };
  for (let j = 0; j < n; j++) {
    const i = from[j] as number;
    out.user[j] = user[i] as number;
    out.post[j] = post[i] as number;
    out.time[j] = (time[i] as number) + minDelay + Math.floor(rng.next() * spread);
  }
  return out;
}
