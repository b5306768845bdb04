// A cheap fingerprint of the stored data, so catalogue-wide figures (full-table counts and groupings that
// would hold the event loop on a large SQLite file) are computed once per change of the data rather than
// once per page view: it moves with every sync page written, every recorded sync run and every received
// event.
import { sql } from 'kysely';
import type { Store } from '../../store/types.js';

/**
 * The current fingerprint.
 * @example if ((await dataVersion(store)) !== cached.version) recompute();
 */
export async function dataVersion(store: Store): Promise<string> {
  const { rows } = await sql<{ runs: unknown; events: unknown; pages: unknown; synced: unknown }>`
    select
      (select max(id) from ${sql.table('SyncRun')}) as runs,
      (select max(id) from ${sql.table('FeedEvent')}) as events,
      (select sum(next_page) from ${sql.table('sync_state')}) as pages,
      (select max(last_synced_at) from ${sql.table('sync_state')}) as synced`.execute(store.db);
  const r = rows[0];
  return [r?.runs, r?.events, r?.pages, r?.synced].map((v) => String(v ?? '')).join(':');
}

/** Values computed once per data version (concurrent requests share one computation). */
export class VersionedCache {
  private readonly entries = new Map<string, { version: string; value: Promise<unknown> }>();

  constructor(private readonly store: Store) {}

  /**
   * `compute()`'s value for the current data, computed again only after the data changed (or when
   * `fresh`, e.g. while a sync writes).
   * @example const stats = await cache.get('stats', () => store.stats());
   */
  async get<T>(key: string, compute: () => Promise<T>, { fresh = false } = {}): Promise<T> {
    const version = await dataVersion(this.store);
    const entry = this.entries.get(key);
    if (!fresh && entry?.version === version) return entry.value as Promise<T>;
    const value = compute();
    this.entries.set(key, { version, value });
    // A failed computation is not kept.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }
}
