// Rebuilds PostSummary from the stored posts in batches, so no catalogue has to fit in one array.
import { streamAllPosts } from '../store/queries.js';
import type { Store } from '../store/types.js';
import type { PostRecord } from '../upstream/schemas.js';
import { deterministicSummariser, type Summariser } from './llm-summariser.js';

export interface DeriveSummariesOptions {
  batchSize?: number;
  /** Default: the deterministic summariser. */
  summarise?: Summariser;
  /** Posts summarised at once (matters for a networked summariser). */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface SummaryBatch {
  rows: number;
  changed: number;
  /** Posts whose summariser failed and kept the deterministic row, with the reason. */
  fallbacks: { postId: number; reason: string }[];
}

/** Yields one entry per written batch. */
export async function* deriveSummaries(
  store: Store,
  {
    batchSize = 1000,
    summarise = deterministicSummariser,
    concurrency = 4,
    signal,
  }: DeriveSummariesOptions = {},
): AsyncGenerator<SummaryBatch> {
  let batch: PostRecord[] = [];
  const flush = async (): Promise<SummaryBatch> => {
    const posts = batch;
    batch = [];
    const outcomes = new Array<Awaited<ReturnType<Summariser>>>(posts.length);
    let next = 0;
    const worker = async () => {
      while (next < posts.length) {
        const i = next++;
        outcomes[i] = await summarise(posts[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, posts.length) }, worker));
    const result = await store.writeSummaries(outcomes.map((o) => o.row));
    const fallbacks = outcomes.flatMap((o) =>
      o.fallbackReason ? [{ postId: o.row.post_id, reason: o.fallbackReason }] : [],
    );
    return { rows: posts.length, changed: result.changed, fallbacks };
  };
  for await (const post of streamAllPosts(store, {}, { batchSize })) {
    if (signal?.aborted) return;
    batch.push(post as PostRecord);
    if (batch.length >= batchSize) yield await flush();
  }
  if (batch.length > 0) yield await flush();
}
