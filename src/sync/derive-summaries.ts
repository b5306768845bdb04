// Rebuilds PostSummary from the stored posts in batches, so no catalogue has to fit in one array.

import { streamAllPosts } from '../store/queries.js';
import type { Store } from '../store/types.js';
import type { PostRecord } from '../upstream/schemas.js';
import { summarisePost } from './summarise.js';

export interface DeriveSummariesOptions {
  batchSize?: number;
  signal?: AbortSignal;
}

/** Yields one entry per written batch: rows summarised and rows changed. */
export async function* deriveSummaries(
  store: Store,
  { batchSize = 1000, signal }: DeriveSummariesOptions = {},
): AsyncGenerator<{ rows: number; changed: number }> {
  let batch: PostRecord[] = [];
  const flush = async () => {
    const rows = batch.map(summarisePost);
    batch = [];
    const result = await store.writeSummaries(rows);
    return { rows: rows.length, changed: result.changed };
  };
  for await (const post of streamAllPosts(store, {}, { batchSize })) {
    if (signal?.aborted) return;
    batch.push(post as PostRecord);
    if (batch.length >= batchSize) yield await flush();
  }
  if (batch.length > 0) yield await flush();
}
