// What the loaded model says about a user or a post, asked through the model holder's public API only: a
// user's feed from each built model, how the user's live events moved their feed, and a post's similar
// posts (the discovery list /posts/{id}/similar serves).
import type {
  DiscoveryResult,
  FeedItem,
  FeedRequest,
  FeedResult,
  LiveEvent,
} from '../../../recommend/index.js';
import { describeError } from '../../../shared/errors.js';
import type { ModelHolder } from '../../model-holder.js';

/** One model's answer, or why it had none. */
export interface ModelAnswer {
  model: string;
  result: FeedResult | null;
  error: string | null;
}

async function ask(holder: ModelHolder, model: string, request: FeedRequest): Promise<ModelAnswer> {
  try {
    return { model, result: await holder.feed({ ...request, model }), error: null };
  } catch (error) {
    return { model, result: null, error: describeError(error) };
  }
}

/**
 * The first page of `userId`'s feed from each model, with explanations, live events included — the same
 * request `GET /feed?user_id=…&model=…` makes.
 * @example const feeds = await feedsPerModel(ctx.model, 42, ['hybrid', 'ease'], live, 10);
 */
export async function feedsPerModel(
  holder: ModelHolder,
  userId: number,
  models: readonly string[],
  live: readonly LiveEvent[] | undefined,
  pageSize: number,
): Promise<ModelAnswer[]> {
  const request: FeedRequest = { userId, page: 1, pageSize, explain: true };
  if (live !== undefined) request.liveEvents = live;
  // One at a time: the dashboard must not take every model worker from the feed's requests at once.
  const answers: ModelAnswer[] = [];
  for (const model of models) answers.push(await ask(holder, model, request));
  return answers;
}

/** How a user's live events changed the first page of their feed from one model. */
export interface LiveEffect {
  /** The feed as the snapshot alone ranks it. */
  before: FeedItem[];
  /** The feed with the live events (what `/feed` serves). */
  after: FeedItem[];
  /** Post ids new on the page, and those that left it (seen live, or outranked). */
  entered: number[];
  left: number[];
  /** Posts of the live events, which the feed no longer shows. */
  excluded: number[];
}

/**
 * The feed with and without the live events, and the difference.
 * @example const effect = await liveEffect(ctx.model, 42, 'hybrid', live, 10);
 */
export async function liveEffect(
  holder: ModelHolder,
  userId: number,
  model: string,
  live: readonly LiveEvent[],
  pageSize: number,
): Promise<LiveEffect> {
  const base: FeedRequest = { userId, model, page: 1, pageSize, explain: true };
  const before = (await holder.feed(base)).items;
  const after = (await holder.feed({ ...base, liveEvents: live })).items;
  const beforeIds = new Set(before.map((i) => i.postId));
  const afterIds = new Set(after.map((i) => i.postId));
  const livePosts = new Set(live.map((e) => e.postId));
  return {
    before,
    after,
    entered: after.filter((i) => !beforeIds.has(i.postId)).map((i) => i.postId),
    left: before.filter((i) => !afterIds.has(i.postId)).map((i) => i.postId),
    excluded: before.filter((i) => livePosts.has(i.postId)).map((i) => i.postId),
  };
}

/** A post's similar posts as `GET /posts/{id}/similar` serves them, or why there are none. */
export interface SimilarAnswer {
  result: DiscoveryResult | null;
  error: string | null;
}

/**
 * The first `limit` similar posts of `postId` with their reasons: the very request the
 * `/posts/{id}/similar` route makes (one implementation, in the model workers), without a user.
 * @example const { result } = await similarPosts(ctx.model, 7, 10);
 */
export async function similarPosts(
  holder: ModelHolder,
  postId: number,
  limit: number,
): Promise<SimilarAnswer> {
  try {
    const result = await holder.discover({
      list: 'similar',
      postId,
      page: 1,
      pageSize: limit,
      explain: true,
    });
    return { result, error: null };
  } catch (error) {
    return { result: null, error: describeError(error) };
  }
}
