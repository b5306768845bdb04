// Simulated users who react: generated users read the feed a running service serves them and view and
// like posts from their hidden tastes, posting the events with the page's recomm_id, so an A/B experiment
// can run end to end on one machine.
//
// The click model is the position-based model (Craswell et al., 2008): a user examines the item at
// position p (1-based) with probability p^-η, independently of the other items, and views every item they
// examine. A viewed post is liked with probability min(1, (likeBase + likeTaste·m) · (1 + likeQuality·q)),
// where m (0..1) is the weight of the post's category in the user's hidden taste and q (-1..1) the post's
// hidden quality: the same taste and quality the generator drew the dataset's likes from.
import { FeedError } from '../shared/errors.js';
import type { SimulatedDataset } from './generate.js';
import { hash32, Rng } from './random.js';

/** What users know about posts that the feed service cannot see. */
export interface HiddenTastes {
  /** Users are ids 1..users. */
  readonly users: number;
  /** How well post `postId` matches user `userId`'s taste, 0..1. */
  affinity(userId: number, postId: number): number;
  /** The post's quality, -1..1. */
  quality(postId: number): number;
}

/** The hidden tastes of a generated dataset (`tasteMatch` and the post quality it drew likes from). */
export function hiddenTastesOf(dataset: SimulatedDataset): HiddenTastes {
  return {
    users: dataset.counts.users,
    affinity: (userId, postId) => dataset.tasteMatch(userId, postId),
    quality: (postId) => dataset.postQualityOf(postId),
  };
}

export interface ClickModel {
  /** η: position p (1-based) is examined with probability p^-η; 0 examines every item. */
  positionBias: number;
  /** Like probability of a viewed post outside the user's taste (at quality 0). */
  likeBase: number;
  /** Like probability added per unit of taste match. */
  likeTaste: number;
  /** How much quality scales the like probability: factor 1 + likeQuality·q. */
  likeQuality: number;
}

export const DEFAULT_CLICK_MODEL: Readonly<ClickModel> = Object.freeze({
  positionBias: 1,
  likeBase: 0.02,
  likeTaste: 0.6,
  likeQuality: 0.3,
});

/** Fills in and checks a click model; throws a `bad_request` FeedError naming the bad field. */
export function resolveClickModel(model: Partial<ClickModel> = {}): ClickModel {
  const resolved = {
    ...DEFAULT_CLICK_MODEL,
    ...Object.fromEntries(Object.entries(model).filter(([, v]) => v !== undefined)),
  };
  const ranges: Record<keyof ClickModel, [number, number]> = {
    positionBias: [0, 10],
    likeBase: [0, 1],
    likeTaste: [0, 1],
    likeQuality: [0, 1],
  };
  for (const [name, [min, max]] of Object.entries(ranges) as [keyof ClickModel, [number, number]][]) {
    const v = resolved[name];
    if (!(Number.isFinite(v) && v >= min && v <= max)) {
      throw new FeedError('bad_request', `clickModel.${name} must be a number ${min}..${max}, got ${v}`);
    }
  }
  return resolved;
}

/** Probability that the item at 1-based `position` is examined. */
export function examineProbability(position: number, model: ClickModel): number {
  return position ** -model.positionBias;
}

/** Probability that a viewed post with taste match `affinity` (0..1) and `quality` (-1..1) is liked. */
export function likeProbability(affinity: number, quality: number, model: ClickModel): number {
  const p = (model.likeBase + model.likeTaste * affinity) * (1 + model.likeQuality * quality);
  return Math.min(1, Math.max(0, p));
}

/** What a user did with one page: posts in page order. */
export interface PageReaction {
  views: number[];
  likes: number[];
}

/** How user `userId` reacts to a page showing `postIds` (in order), drawing from `rng`. */
export function reactToPage(
  userId: number,
  postIds: readonly number[],
  tastes: HiddenTastes,
  model: ClickModel,
  rng: Rng,
): PageReaction {
  const views: number[] = [];
  const likes: number[] = [];
  postIds.forEach((postId, index) => {
    // Both draws are made for every item, so one item's outcome never shifts the next one's draws.
    const examine = rng.next();
    const like = rng.next();
    if (examine >= examineProbability(index + 1, model)) return;
    views.push(postId);
    if (like < likeProbability(tastes.affinity(userId, postId), tastes.quality(postId), model))
      likes.push(postId);
  });
  return { views, likes };
}

export interface ReactingUsersOptions {
  /** Base URL of the feed service; loopback only (127.0.0.0/8, localhost, ::1). */
  feedUrl: string;
  tastes: HiddenTastes;
  /** Sessions to run: each reads one feed page. */
  sessions: number;
  /** Seed of the users picked and of every draw: session i always picks the same user and draws. */
  seed?: number;
  /** Posts per page (1..100). Default 10. */
  pageSize?: number;
  /** Sessions in flight at once (1..16). Default 2. */
  concurrency?: number;
  /** No session starts after this many seconds (waiting for /ready included). Default 300. */
  maxSeconds?: number;
  /** Bearer token of POST /events, when the service needs one (EVENTS_TOKEN). */
  eventsToken?: string;
  clickModel?: Partial<ClickModel>;
  /** Called after each session ends. */
  onProgress?: (summary: Readonly<ReactingUsersSummary>) => void;
  /** Aborting it stops starting sessions; those in flight finish. */
  signal?: AbortSignal;
}

export interface ReactingUsersSummary {
  /** Sessions run (each read one page). */
  sessions: number;
  /** Pages with posts (each an impression with a recomm_id). */
  pages: number;
  /** Items shown over all pages. */
  shown: number;
  views: number;
  likes: number;
  /** Likes per arm the service attributed them to (its answer to POST /events). */
  likesByArm: Record<string, number>;
  /** Why the run ended before `sessions`: the time bound or the signal; null when all ran. */
  stopped: 'time' | 'signal' | null;
  seconds: number;
}

const SESSION_SALT = 0x52454143;
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_SESSIONS = 10_000_000;

/** Throws unless `url` is an http URL on the loopback interface. */
export function checkLoopbackUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FeedError('bad_request', `feed URL must be an http URL, got ${JSON.stringify(url)}`);
  }
  const host = parsed.hostname;
  const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (parsed.protocol !== 'http:' || !loopback) {
    throw new FeedError(
      'bad_request',
      `feed URL must be http on the loopback interface (127.0.0.1, localhost, [::1]), got ${parsed.protocol}//${host}`,
    );
  }
  return parsed;
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!(Number.isSafeInteger(value) && value >= min && value <= max))
    throw new FeedError('bad_request', `${name} must be an integer ${min}..${max}, got ${value}`);
}

interface FeedPage {
  post: { id: number }[];
  recomm_id?: string;
}

/**
 * Runs `sessions` sessions against the service: each picks a user, reads their feed page and posts a
 * view for every post they examine and a like for those they like, with the page's recomm_id. Waits for
 * /ready first. A failed request stops the run with a FeedError naming the route and status.
 *
 * @example
 * const data = generateDataset({ users: 300, posts: 120, interactions: 6000 });
 * const summary = await runReactingUsers({ feedUrl: 'http://127.0.0.1:8000', tastes: hiddenTastesOf(data), sessions: 500 });
 */
export async function runReactingUsers(options: ReactingUsersOptions): Promise<ReactingUsersSummary> {
  const base = checkLoopbackUrl(options.feedUrl);
  const { tastes, sessions, seed = 1, pageSize = 10, concurrency = 2, maxSeconds = 300 } = options;
  checkInteger('sessions', sessions, 0, MAX_SESSIONS);
  checkInteger('seed', seed, -(2 ** 31), 2 ** 31 - 1);
  checkInteger('pageSize', pageSize, 1, 100);
  checkInteger('concurrency', concurrency, 1, 16);
  if (!(Number.isFinite(maxSeconds) && maxSeconds > 0 && maxSeconds <= 86_400))
    throw new FeedError('bad_request', `maxSeconds must be a number > 0 and <= 86400, got ${maxSeconds}`);
  if (sessions > 0 && tastes.users < 1)
    throw new FeedError('bad_request', 'the dataset has no users to simulate');
  const model = resolveClickModel(options.clickModel);
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  const summary: ReactingUsersSummary = {
    sessions: 0,
    pages: 0,
    shown: 0,
    views: 0,
    likes: 0,
    likesByArm: {},
    stopped: null,
    seconds: 0,
  };
  const eventHeaders: Record<string, string> = { 'content-type': 'application/json' };
  if (options.eventsToken) eventHeaders.authorization = `Bearer ${options.eventsToken}`;
  const url = (path: string) => new URL(path, base).toString();

  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(url(path), {
      method,
      ...(body === undefined ? {} : { headers: eventHeaders, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (!res.ok) {
      const route = path.split('?')[0];
      let message = '';
      try {
        message = String((JSON.parse(text) as { message?: unknown }).message ?? '');
      } catch {}
      throw new FeedError(
        'upstream_unavailable',
        `${method} ${route} answered ${res.status}${message ? `: ${message}` : ''}`,
      );
    }
    return JSON.parse(text) as unknown;
  };

  await waitForReady(url('/ready'), deadline, options.signal);

  const runSession = async (i: number): Promise<void> => {
    const rng = new Rng(hash32(seed, SESSION_SALT, i));
    const userId = rng.int(1, tastes.users);
    const page = (await call('GET', `/feed?user_id=${userId}&page_size=${pageSize}`)) as FeedPage;
    const postIds = page.post.map((p) => p.id);
    const reaction = reactToPage(userId, postIds, tastes, model, rng);
    const recomm = page.recomm_id === undefined ? {} : { recomm_id: page.recomm_id };
    for (const postId of reaction.views)
      await call('POST', '/events', { user_id: userId, post_id: postId, type: 'view', ...recomm });
    for (const postId of reaction.likes) {
      const answer = (await call('POST', '/events', {
        user_id: userId,
        post_id: postId,
        type: 'like',
        ...recomm,
      })) as { attribution?: { arm?: string } | null };
      const arm = answer.attribution?.arm ?? '(none)';
      summary.likesByArm[arm] = (summary.likesByArm[arm] ?? 0) + 1;
    }
    summary.sessions++;
    if (postIds.length > 0) summary.pages++;
    summary.shown += postIds.length;
    summary.views += reaction.views.length;
    summary.likes += reaction.likes.length;
    summary.seconds = (performance.now() - started) / 1000;
    options.onProgress?.(summary);
  };

  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < sessions && summary.stopped === null && failure === null) {
      if (options.signal?.aborted) summary.stopped = 'signal';
      else if (performance.now() > deadline) summary.stopped = 'time';
      else {
        try {
          await runSession(next++);
        } catch (error) {
          // The first failure stops every worker; the run ends once those in flight have.
          failure ??= { error };
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, sessions)) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** Polls GET /ready every 200 ms until it answers 200; fails at the deadline. */
async function waitForReady(readyUrl: string, deadline: number, signal?: AbortSignal): Promise<void> {
  let last = 'no answer';
  while (performance.now() < deadline && !signal?.aborted) {
    try {
      const res = await fetch(readyUrl, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await res.text();
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new FeedError(
    'upstream_unavailable',
    `the feed service at ${new URL(readyUrl).origin} was not ready in time (${last})`,
  );
}
