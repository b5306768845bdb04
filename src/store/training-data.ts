// Reads what the recommender trains on (users, the post catalogue with its text, every interaction as
// typed-array columns) out of a store, streaming so no table is ever held as one array of objects.
import type { InteractionColumns, PostContent, TrainingData } from '../recommend/types.js';
import { InteractionKind } from '../recommend/types.js';
import { FeedError } from '../shared/errors.js';
import { INTERACTION_SOURCES, type InteractionSource } from '../upstream/sources.js';
import { INTERACTION_TABLES } from './columns.js';
import { countFeedEvents, maxFeedEventId, streamFeedEvents } from './feed-events.js';
import { streamAllPosts, streamInteractionBatches, streamPostSummaries, streamUsers } from './queries.js';
import type { PostSummaryRow, Store } from './types.js';

export interface LoadTrainingDataOptions {
  /** Rows per query while streaming. */
  batchSize?: number;
  /**
   * Read the feed service's own events (FeedEvent) with an id up to this one, alongside the platform's
   * interactions; default: every event stored when the load starts (`maxFeedEventId`). 0 reads none.
   */
  feedEventsUpToId?: number;
}

const KIND_OF: Record<InteractionSource, number> = {
  views: InteractionKind.view,
  likes: InteractionKind.like,
  inspires: InteractionKind.inspire,
  ratings: InteractionKind.rating,
};

/** Epoch seconds of `"YYYY-MM-DD HH:MM:SS"` (UTC), without building a Date per row. */
export function upstreamTimeToSeconds(text: string): number {
  const ms = Date.UTC(
    Number(text.slice(0, 4)),
    Number(text.slice(5, 7)) - 1,
    Number(text.slice(8, 10)),
    Number(text.slice(11, 13)),
    Number(text.slice(14, 16)),
    Number(text.slice(17, 19)),
  );
  return ms / 1000;
}

function int32(id: number, what: string): number {
  if (id > 0x7fffffff) {
    throw new FeedError('internal', `${what} ${id} does not fit the model's 32-bit id columns`);
  }
  return id;
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const obj = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;

/** Keyword strings of a post's tags (`["a", …]` or `[{"name": "a"}, …]`). */
function tagWords(tags: unknown): string[] {
  if (!Array.isArray(tags)) return [];
  const out: string[] = [];
  for (const tag of tags) {
    if (typeof tag === 'string') out.push(tag);
    else {
      const name = str(obj(tag)?.name) ?? str(obj(tag)?.keyword);
      if (name !== null) out.push(name);
    }
  }
  return out;
}

/**
 * Builds the recommender's `TrainingData` from a store: every User id, every Post with its PostSummary
 * text and keywords (falling back to the post's own description and tags when no summary row exists),
 * all four interaction kinds as columns (timestamps in epoch seconds, rating percent or NaN), then the
 * feed service's own events (FeedEvent) up to `feedEventsUpToId`.
 * @example const data = await loadTrainingDataFromStore(store); const snapshot = buildSnapshot(data);
 */
export async function loadTrainingDataFromStore(
  store: Store,
  { batchSize = 50_000, feedEventsUpToId }: LoadTrainingDataOptions = {},
): Promise<TrainingData> {
  const eventsUpTo = feedEventsUpToId ?? (await maxFeedEventId(store));
  const userIds: number[] = [];
  for await (const user of streamUsers(store, {}, { batchSize })) userIds.push(int32(user.id, 'user id'));

  const summaries = new Map<number, PostSummaryRow>();
  for await (const row of streamPostSummaries(store, {}, { batchSize })) summaries.set(row.post_id, row);

  const posts: PostContent[] = [];
  for await (const post of streamAllPosts(store, {}, { batchSize })) {
    const category = obj(post.category);
    const summary = summaries.get(post.id);
    const postSummary = obj(post.post_summary);
    const keywords = summary?.keywords ?? [];
    posts.push({
      id: int32(post.id, 'post id'),
      title: str(post.title) ?? '',
      category: summary?.category ?? str(category?.name),
      categoryId: typeof category?.id === 'number' ? category.id : null,
      projectCode: str(obj(post.topic)?.project_code),
      creator: str(post.username),
      createdAt: typeof post.created_at === 'number' ? post.created_at : null,
      summary: summary?.summary ?? str(postSummary?.description) ?? '',
      keywords: keywords.length > 0 ? keywords : tagWords(post.tags),
    });
  }

  // Exact sizes first, so each column is allocated once.
  const counts = await Promise.all(
    INTERACTION_SOURCES.map(async (source) => {
      const row = await store.db
        .selectFrom(INTERACTION_TABLES[source].table)
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    }),
  );
  const feedEvents = eventsUpTo > 0 ? await countFeedEvents(store, eventsUpTo) : 0;
  const capacity = counts.reduce((a, b) => a + b, 0) + feedEvents;
  const columns = {
    userId: new Int32Array(capacity),
    postId: new Int32Array(capacity),
    kind: new Uint8Array(capacity),
    at: new Float64Array(capacity),
    ratingPercent: new Float32Array(capacity),
  };
  let n = 0;
  for (const [i, source] of INTERACTION_SOURCES.entries()) {
    const kind = KIND_OF[source];
    const limit = counts[i]!;
    if (limit === 0) continue;
    // At most the counted rows: rows a sync adds meanwhile are left for the next build.
    for await (const batch of streamInteractionBatches(store, source, { limit }, { batchSize })) {
      for (const row of batch) {
        columns.userId[n] = int32(row.user_id, 'user id');
        columns.postId[n] = int32(row.post_id, 'post id');
        columns.kind[n] = kind;
        columns.at[n] = upstreamTimeToSeconds(row.at);
        columns.ratingPercent[n] = row.rating_percent ?? Number.NaN;
        n++;
      }
    }
  }
  if (feedEvents > 0) {
    for await (const batch of streamFeedEvents(store, { upToId: eventsUpTo, batchSize })) {
      for (const row of batch) {
        if (n === capacity) break;
        columns.userId[n] = int32(row.user_id, 'user id');
        columns.postId[n] = int32(row.post_id, 'post id');
        columns.kind[n] = InteractionKind[row.type];
        columns.at[n] = upstreamTimeToSeconds(row.created_at);
        columns.ratingPercent[n] = row.rating_percent ?? Number.NaN;
        n++;
      }
    }
  }
  const interactions: InteractionColumns = {
    length: n,
    userId: columns.userId.subarray(0, n),
    postId: columns.postId.subarray(0, n),
    kind: columns.kind.subarray(0, n),
    at: columns.at.subarray(0, n),
    ratingPercent: columns.ratingPercent.subarray(0, n),
  };
  return { users: Int32Array.from(userIds), posts, interactions };
}
