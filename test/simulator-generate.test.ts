import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { iterateRecords } from '../src/simulator/dataset.js';
import { expectedCounts, generateDataset, splitInteractions } from '../src/simulator/generate.js';
import { AliasTable, hash01, Rng } from '../src/simulator/random.js';
import { formatTimestamp } from '../src/simulator/records.js';
import { INTERACTION_SOURCES, SOURCE_NAMES, SOURCES } from '../src/upstream/sources.js';

const SMALL = { seed: 7, users: 300, posts: 80, interactions: 6000 };
const small = generateDataset(SMALL);

/** Field lists from ../shared/api-contract.md. */
const USER_KEYS = [
  'id',
  'first_name',
  'last_name',
  'username',
  'email',
  'role',
  'profile_url',
  'bio',
  'gender',
  'user_type',
  'hourly_rate',
  'currency',
  'website_url',
  'twitter_url',
  'twitter_username',
  'twitter_profile_url',
  'instagram-url',
  'youtube_url',
  'tictok_url',
  'isVerified',
  'is_verified',
  'referral_code',
  'has_wallet',
  'last_login',
  'share_count',
  'total_reward_points',
  'referral_point',
  'referral_count',
  'total_inspired_user_count',
  'daily_login_streak',
  'post_count',
  'following_count',
  'follower_count',
  'is_online',
  'latitude',
  'longitude',
];
const POST_KEYS = [
  'id',
  'title',
  'slug',
  'identifier',
  'category',
  'topic',
  'comment_count',
  'upvote_count',
  'view_count',
  'exit_count',
  'rating_count',
  'average_rating',
  'share_count',
  'bookmark_count',
  'video_link',
  'thumbnail_url',
  'gif_thumbnail_url',
  'contract_address',
  'chain_id',
  'chart_url',
  'baseToken',
  'is_locked',
  'created_at',
  'first_name',
  'last_name',
  'username',
  'user_type',
  'has_evm_wallet',
  'has_solana_wallet',
  'is_viewed',
  'upvoted',
  'bookmarked',
  'is_available_in_public_feed',
  'following',
  'picture_url',
  'tags',
  'source_matrix',
  'post_summary',
];
const SUMMARY_KEYS = new Set([
  'description',
  'keywords',
  'emotions',
  'actions',
  'audio_elements',
  'entities',
  'estimated_duration',
  'no_of_person_in_video',
  'targeted_audiance',
  'topics_of_video',
  'visual_elements_of_video',
  'quality_indicators',
  'psycological_view_of_video',
]);

type Json = Record<string, unknown>;
const sorted = (keys: Iterable<string>) => [...keys].sort();

describe('seeded randomness', () => {
  it('repeats the same sequence for the same seed and differs across seeds', () => {
    const a = new Rng(1);
    const b = new Rng(1);
    const c = new Rng(2);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
    expect(hash01(1, 2, 3)).toBe(hash01(1, 2, 3));
    expect(hash01(1, 2, 3)).not.toBe(hash01(1, 2, 4));
  });

  it('samples an alias table in proportion to its weights', () => {
    const rng = new Rng(3);
    const table = new AliasTable([1, 0, 3]);
    const hits = [0, 0, 0];
    for (let i = 0; i < 40_000; i++) {
      const k = table.sample(rng);
      hits[k] = (hits[k] ?? 0) + 1;
    }
    expect(hits[1]).toBe(0);
    expect((hits[2] ?? 0) / (hits[0] ?? 1)).toBeGreaterThan(2.5);
    expect((hits[2] ?? 0) / (hits[0] ?? 1)).toBeLessThan(3.5);
  });
});

describe('generateDataset', () => {
  it('gives identical records for the same options and different ones for another seed', () => {
    const again = generateDataset(SMALL);
    const other = generateDataset({ ...SMALL, seed: 8 });
    for (const source of SOURCE_NAMES) {
      const n = small.count(source);
      for (let i = 0; i < n; i++) expect(again.recordJson(source, i)).toBe(small.recordJson(source, i));
    }
    expect(other.recordJson('views', 0)).not.toBe(small.recordJson('views', 0));
    expect(other.recordJson('posts', 0)).not.toBe(small.recordJson('posts', 0));
  });

  it('serves exactly the counts the options ask for, interactions summing to the total', () => {
    expect(small.counts).toEqual(expectedCounts(SMALL));
    expect(small.counts.users).toBe(300);
    expect(small.counts.posts).toBe(80);
    const interactions = INTERACTION_SOURCES.reduce((sum, s) => sum + small.counts[s], 0);
    expect(interactions).toBe(6000);
    for (const total of [0, 1, 7, 999, 12_345]) {
      const split = splitInteractions(total);
      expect(split.views + split.likes + split.inspires + split.ratings).toBe(total);
      const tiny = generateDataset({ seed: 1, users: 5, posts: 3, interactions: total });
      expect(tiny.counts).toEqual({ users: 5, posts: 3, ...split });
    }
  });

  it('produces records that all pass the upstream schemas', () => {
    for (const source of SOURCE_NAMES) {
      for (const record of iterateRecords(small, source)) {
        const result = SOURCES[source].schema.safeParse(record);
        if (!result.success) throw new Error(`${source}: ${result.error.message}\n${JSON.stringify(record)}`);
      }
    }
  });

  it('uses the contract field names for users, posts and each interaction kind', () => {
    expect(sorted(Object.keys(small.userRecord(1)))).toEqual(sorted(USER_KEYS));
    expect(sorted(Object.keys(small.userRecord(250)))).toEqual(sorted(USER_KEYS));
    expect(sorted(Object.keys(small.postRecord(5)))).toEqual(sorted(POST_KEYS));
    for (const source of INTERACTION_SOURCES) {
      const record = JSON.parse(small.recordJson(source, 0)) as Json;
      const extra = source === 'ratings' ? ['rating_percent'] : [];
      expect(sorted(Object.keys(record))).toEqual(
        sorted(['id', 'post_id', 'user_id', SOURCES[source].timestampField, ...extra]),
      );
    }
  });

  const fixturePath = resolve(import.meta.dirname, '../../shared/fixtures/upstream-sample.json');
  it.runIf(existsSync(fixturePath))(
    'matches the key sets of the platform sample pages field for field',
    () => {
      const sample = JSON.parse(readFileSync(fixturePath, 'utf8')) as Record<string, Record<string, Json[]>>;
      const first = (prefix: string): Json => {
        const entry = Object.entries(sample).find(([k]) => k.startsWith(`GET ${prefix}?`));
        const body = entry?.[1] ?? {};
        const record = (body.users ?? body.posts)?.[0];
        if (!record) throw new Error(`no sample record for ${prefix}`);
        return record;
      };
      expect(sorted(Object.keys(small.userRecord(3)))).toEqual(sorted(Object.keys(first('/users/get_all'))));
      const post = small.postRecord(4);
      const samplePost = first('/posts/summary/get');
      expect(sorted(Object.keys(post))).toEqual(sorted(Object.keys(samplePost)));
      expect(sorted(Object.keys(post.category ?? {}))).toEqual(
        sorted(Object.keys(samplePost.category as Json)),
      );
      expect(sorted(Object.keys(post.topic ?? {}))).toEqual(sorted(Object.keys(samplePost.topic as Json)));
      expect(sorted(Object.keys(post.baseToken ?? {}))).toEqual(
        sorted(Object.keys(samplePost.baseToken as Json)),
      );
      for (const source of INTERACTION_SOURCES) {
        const record = JSON.parse(small.recordJson(source, 0)) as Json;
        expect(sorted(Object.keys(record))).toEqual(sorted(Object.keys(first(SOURCES[source].path))));
      }
    },
  );

  it('sorts each interaction kind by time with platform ids 1..n, each after its post was created', () => {
    for (const source of INTERACTION_SOURCES) {
      const cols = small.interactions[source];
      let previous = 0;
      for (let i = 0; i < cols.length; i++) {
        const record = JSON.parse(small.recordJson(source, i)) as Json;
        expect(record.id).toBe(i + 1);
        const t = cols.time[i] as number;
        expect(t).toBeGreaterThanOrEqual(previous);
        previous = t;
        expect(t).toBeGreaterThan(small.createdAtSeconds(cols.post[i] as number));
        expect(cols.user[i]).toBeGreaterThanOrEqual(1);
        expect(cols.user[i]).toBeLessThanOrEqual(small.counts.users);
        expect(cols.post[i]).toBeGreaterThanOrEqual(1);
        expect(cols.post[i]).toBeLessThanOrEqual(small.counts.posts);
      }
    }
  });

  it('derives likes from earlier views of the same user and post, and inspires from likes', () => {
    const firstSeen = (source: 'views' | 'likes') => {
      const cols = small.interactions[source];
      const map = new Map<string, number>();
      for (let i = 0; i < cols.length; i++) {
        const key = `${cols.user[i]}:${cols.post[i]}`;
        if (!map.has(key)) map.set(key, cols.time[i] as number);
      }
      return map;
    };
    const views = firstSeen('views');
    const likes = firstSeen('likes');
    const check = (source: 'likes' | 'inspires' | 'ratings', before: Map<string, number>) => {
      const cols = small.interactions[source];
      for (let i = 0; i < cols.length; i++) {
        const earlier = before.get(`${cols.user[i]}:${cols.post[i]}`);
        expect(earlier, `${source} #${i + 1} has no earlier view/like`).toBeDefined();
        expect(cols.time[i]).toBeGreaterThan(earlier ?? Number.POSITIVE_INFINITY);
      }
    };
    check('likes', views);
    check('ratings', views);
    check('inspires', likes);
  });

  it('rates posts that match the user taste higher, within 0..100', () => {
    const cols = small.interactions.ratings;
    const matched: number[] = [];
    const unmatched: number[] = [];
    for (let i = 0; i < cols.length; i++) {
      const rating = cols.rating?.[i] as number;
      expect(rating).toBeGreaterThanOrEqual(0);
      expect(rating).toBeLessThanOrEqual(100);
      const category = small.category(cols.post[i] as number).vocabulary.name;
      const taste = small.userTaste(cols.user[i] as number);
      (taste.some((t) => t.category === category) ? matched : unmatched).push(rating);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(matched.length).toBeGreaterThan(unmatched.length);
    expect(mean(matched)).toBeGreaterThan(mean(unmatched) + 15);
  });

  it('skews post popularity and user activity (heavy tails, some users never active)', () => {
    const data = generateDataset({ seed: 11, users: 2000, posts: 400, interactions: 40_000 });
    const views = data.interactions.views;
    const perPost = new Array<number>(data.counts.posts).fill(0);
    const perUser = new Array<number>(data.counts.users).fill(0);
    for (let i = 0; i < views.length; i++) {
      perPost[(views.post[i] as number) - 1]! += 1;
      perUser[(views.user[i] as number) - 1]! += 1;
    }
    const topShare = (xs: number[]) => {
      const desc = [...xs].sort((a, b) => b - a);
      const top = desc.slice(0, Math.ceil(xs.length / 10)).reduce((a, b) => a + b, 0);
      return top / views.length;
    };
    expect(topShare(perPost)).toBeGreaterThan(0.4);
    expect(topShare(perUser)).toBeGreaterThan(0.3);
    expect(perUser.filter((n) => n === 0).length).toBeGreaterThan(0);
  });

  it('fills post counters and category counts consistently with the interactions', () => {
    const likesPerPost = new Map<number, number>();
    const likes = small.interactions.likes;
    for (let i = 0; i < likes.length; i++)
      likesPerPost.set(likes.post[i] as number, (likesPerPost.get(likes.post[i] as number) ?? 0) + 1);
    const postsPerCategory = new Map<string, number>();
    for (let id = 1; id <= small.counts.posts; id++) {
      const name = small.postRecord(id).category?.name ?? '';
      postsPerCategory.set(name, (postsPerCategory.get(name) ?? 0) + 1);
    }
    let viewSum = 0;
    for (let id = 1; id <= small.counts.posts; id++) {
      const post = small.postRecord(id);
      expect(post.upvote_count).toBe(likesPerPost.get(id) ?? 0);
      expect(post.category?.count).toBe(postsPerCategory.get(post.category?.name ?? ''));
      viewSum += post.view_count ?? 0;
    }
    expect(viewSum).toBe(small.counts.views);
    expect(postsPerCategory.size).toBeGreaterThanOrEqual(10);
  });

  it('varies the post_summary keys from post to post and keeps keywords as {keyword} objects', () => {
    const data = generateDataset({ seed: 5, users: 50, posts: 400, interactions: 0 });
    const shapes = new Set<string>();
    let genders = 0;
    for (let id = 1; id <= 400; id++) {
      const summary = data.postRecord(id).post_summary as Json | null;
      if (summary === null) continue;
      shapes.add(sorted(Object.keys(summary)).join(','));
      for (const key of Object.keys(summary)) expect(SUMMARY_KEYS.has(key), key).toBe(true);
      for (const k of summary.keywords as Json[]) expect(typeof k.keyword).toBe('string');
      const character = (summary.entities as { main_character?: { gender?: string } } | undefined)
        ?.main_character;
      if (character?.gender) genders++;
      if (summary.estimated_duration)
        expect(summary.estimated_duration).toMatch(/^\d+ (seconds|minutes?)( \d+ seconds)?$/);
    }
    expect(shapes.size).toBeGreaterThan(20);
    expect(genders).toBeGreaterThan(200);
  });

  it('makes each post creator a user with the same username', () => {
    const usernames = new Set(
      Array.from({ length: small.counts.users }, (_, i) => small.userRecord(i + 1).username),
    );
    for (let id = 1; id <= small.counts.posts; id++)
      expect(usernames.has(small.postRecord(id).username)).toBe(true);
    expect(usernames.size).toBe(small.counts.users);
  });

  it('rejects bad options with a message naming the option and what is accepted', () => {
    expect(() => generateDataset({ users: -1 })).toThrow(/users must be an integer 0\.\./);
    expect(() => generateDataset({ interactions: 1.5 })).toThrow(/interactions must be an integer/);
    expect(() => generateDataset({ startDate: '2024/01/01' })).toThrow(/startDate must be a date YYYY-MM-DD/);
    expect(() => generateDataset({ users: 0, interactions: 10 })).toThrow(
      /need at least one user and one post/,
    );
    expect(() => generateDataset({ mix: { likes: 0.9 } })).toThrow(/views >= likes/);
  });
});

describe('formatTimestamp', () => {
  it('prints epoch seconds as "YYYY-MM-DD HH:MM:SS" in UTC', () => {
    expect(formatTimestamp(0)).toBe('1970-01-01 00:00:00');
    expect(formatTimestamp(Date.UTC(2024, 0, 31, 3, 43, 47) / 1000)).toBe('2024-01-31 03:43:47');
    expect(formatTimestamp(Date.UTC(2024, 1, 29, 23, 59, 59) / 1000)).toBe('2024-02-29 23:59:59');
  });
});
