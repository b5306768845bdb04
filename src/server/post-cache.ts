// Rendered feed posts by id, read from the store on first use and kept for the life of one model snapshot
// (a sync may change posts; the next snapshot starts a fresh cache), so a feed of 20 costs no query.
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { POST_SPEC } from '../store/columns.js';
import { decodeRow } from '../store/records.js';
import type { Store } from '../store/types.js';
import { renderPostJson } from './render.js';

export interface PostCacheOptions {
  /**
   * Posts read per query when warming the whole catalogue: each batch runs (query, decode, render) on
   * the serving event loop, ~60 µs a post, so 500 held requests ~30 ms; 64 keeps it near 4 ms.
   */
  warmBatchSize?: number;
  /**
   * The cache this one replaces: a post rendered to the same bytes keeps the old buffer, so during a
   * swap the two caches hold one copy of every unchanged post, not two. Released once warm.
   */
  previous?: PostCache;
}

/** Rendered post JSON (UTF-8 bytes, ready to send) per post id for one snapshot. */
export class PostCache {
  private readonly rendered = new Map<number, Buffer>();
  private readonly missing = new Set<number>();
  private closed = false;
  private readonly warmBatchSize: number;
  private previous: PostCache | null;

  constructor(
    private readonly store: Store,
    { warmBatchSize = 64, previous }: PostCacheOptions = {},
  ) {
    this.warmBatchSize = warmBatchSize;
    this.previous = previous ?? null;
  }

  get size(): number {
    return this.rendered.size;
  }

  /**
   * Rendered JSON (UTF-8) of each id, aligned with `ids` (undefined for an id with no stored post). One
   * query for the ids not cached yet.
   * @example const posts = await cache.get([7, 3]); // [<Buffer {"id":7,…}>, <Buffer {"id":3,…}>]
   */
  async get(ids: readonly number[]): Promise<(Buffer | undefined)[]> {
    let wanted: number[] | undefined;
    for (const id of ids) {
      if (!this.rendered.has(id) && !this.missing.has(id)) (wanted ??= []).push(id);
    }
    if (wanted !== undefined) await this.load(wanted);
    return ids.map((id) => this.rendered.get(id));
  }

  /**
   * Renders the whole catalogue in small batches (yielding between them), so requests soon find every post
   * cached. Stops early when the cache is dropped.
   */
  async warm(): Promise<void> {
    let afterId = 0;
    for (;;) {
      if (this.closed) return;
      const rows = await this.store.db
        .selectFrom('Post')
        .selectAll()
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(this.warmBatchSize)
        .execute();
      for (const row of rows) {
        const post = decodeRow<Record<string, unknown>>(POST_SPEC, row);
        const id = Number(post.id);
        if (!this.rendered.has(id)) this.rendered.set(id, this.reuse(id, renderPostJson(post)));
      }
      if (rows.length < this.warmBatchSize) {
        this.previous = null;
        return;
      }
      afterId = Number(rows[rows.length - 1]!.id);
      // Let requests run between batches.
      await nextMacrotask();
    }
  }

  /** Stops a running warm-up (the cache of a replaced snapshot). */
  close(): void {
    this.closed = true;
    this.previous = null;
  }

  /** The replaced cache's buffer for `id` when it holds the same bytes, else `rendered`. */
  private reuse(id: number, rendered: Buffer): Buffer {
    const old = this.previous?.rendered.get(id);
    return old?.equals(rendered) ? old : rendered;
  }

  private async load(ids: number[]): Promise<void> {
    const rows = await this.store.db.selectFrom('Post').selectAll().where('id', 'in', ids).execute();
    const found = new Set<number>();
    for (const row of rows) {
      const post = decodeRow<Record<string, unknown>>(POST_SPEC, row);
      const id = Number(post.id);
      found.add(id);
      this.rendered.set(id, this.reuse(id, renderPostJson(post)));
    }
    // A post the model knows but the store lost is not asked for again in this snapshot.
    for (const id of ids) if (!found.has(id)) this.missing.add(id);
  }
}
