// The sync checkpoint's rules, as pure functions both backends persist: begin, resume, restart, complete.
import { FeedError } from '../shared/errors.js';
import type { SyncStateTable } from './schema.js';
import type { SyncState } from './types.js';

/** What `beginSync` decided: the state to store and whether it starts a new pass at page 1. */
export interface BeginDecision {
  state: SyncState;
  /** True when a new pass starts (none before, the last one complete, or the page size changed). */
  fresh: boolean;
}

/**
 * Decides where a pass over `source` starts. A running pass with the same page size resumes at its
 * `nextPage`; a running pass with another page size restarts at 1 (its pages would not line up); after
 * a complete pass, a new one starts at 1 and keeps `lastSyncedAt`/`lastRecordCount` until it completes.
 * @example planBeginSync(null, 'users', 500, new Date().toISOString()).state.nextPage // 1
 */
export function planBeginSync(
  previous: SyncState | null,
  source: SyncState['source'],
  pageSize: number,
  nowIso: string,
): BeginDecision {
  if (previous?.status === 'running' && previous.pageSize === pageSize) {
    return { state: previous, fresh: false };
  }
  return {
    state: {
      source,
      status: 'running',
      nextPage: 1,
      pageSize,
      startedAt: nowIso,
      lastSyncedAt: previous?.lastSyncedAt ?? null,
      lastRecordCount: previous?.lastRecordCount ?? null,
    },
    fresh: true,
  };
}

/** The state after the running pass reached its empty page. */
export function planCompleteSync(
  previous: SyncState | null,
  source: SyncState['source'],
  recordCount: number,
  nowIso: string,
): SyncState {
  return {
    source,
    status: 'complete',
    nextPage: previous?.nextPage ?? 1,
    pageSize: previous?.pageSize ?? 0,
    startedAt: previous?.startedAt ?? null,
    lastSyncedAt: nowIso,
    lastRecordCount: recordCount,
  };
}

export function syncStateFromRow(row: SyncStateTable): SyncState {
  return {
    source: row.source as SyncState['source'],
    status: row.status,
    nextPage: Number(row.next_page),
    pageSize: Number(row.page_size),
    startedAt: row.started_at,
    lastSyncedAt: row.last_synced_at,
    lastRecordCount: row.last_record_count === null ? null : Number(row.last_record_count),
  };
}

export function syncStateToRow(state: SyncState): SyncStateTable {
  return {
    source: state.source,
    status: state.status,
    next_page: state.nextPage,
    page_size: state.pageSize,
    started_at: state.startedAt,
    last_synced_at: state.lastSyncedAt,
    last_record_count: state.lastRecordCount,
  };
}

/** Column order of `sync_state` as the raw upserts bind it. */
export const SYNC_STATE_COLUMNS = [
  'source',
  'status',
  'next_page',
  'page_size',
  'started_at',
  'last_synced_at',
  'last_record_count',
] as const satisfies readonly (keyof SyncStateTable)[];

/** Validates a page number or page size given to `beginSync` or a checkpoint. */
export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new FeedError('bad_request', `${name} must be a positive integer, got ${String(value)}`);
  }
}

/** Validates `beginSync`'s page size: 0 stands for a pass that is not paged (the derived summaries). */
export function assertPageSize(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FeedError(
      'bad_request',
      `page size must be a non-negative integer (0 for an unpaged pass), got ${String(value)}`,
    );
  }
}
