// Records a finished sync in the store's run history (SyncRun), for the dashboard: what the CLI, the demo
// and the server's sync runner call after `runSync`. Recording never fails a sync: a store that cannot
// take the row is logged and the sync's own result stands.
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { redact } from '../shared/redact.js';
import { recordSyncRun, type SyncRunInput, type SyncRunTrigger } from '../store/sync-runs.js';
import type { Store } from '../store/types.js';
import type { SyncReport } from './sync.js';

export interface SyncRunContext {
  trigger: SyncRunTrigger;
  startedAt: Date;
  finishedAt?: Date;
  /** The run was interrupted (Ctrl-C, server shutdown). */
  aborted?: boolean;
}

/**
 * The run-history row of a sync report.
 * @example syncRunOf(report, { trigger: 'cli', startedAt }).status // 'complete'
 */
export function syncRunOf(
  report: SyncReport,
  { trigger, startedAt, finishedAt = new Date(), aborted = false }: SyncRunContext,
): SyncRunInput {
  return {
    trigger,
    status: aborted ? 'aborted' : report.ok ? 'complete' : 'failed',
    startedAt,
    finishedAt,
    sources: report.sources.map((s) => ({
      source: s.source,
      status: s.status,
      pages: s.pages,
      records: s.records,
      changed: s.changed,
      invalid: s.invalid,
      durationMs: s.durationMs,
      ...(s.error !== undefined ? { error: s.error } : {}),
    })),
  };
}

/**
 * Stores `run` in the run history; returns its id, or null when the store refused it (logged).
 * @example await storeSyncRun(store, syncRunOf(report, { trigger: 'cli', startedAt }), logger);
 */
export async function storeSyncRun(store: Store, run: SyncRunInput, logger?: Logger): Promise<number | null> {
  try {
    return await recordSyncRun(store.db, run);
  } catch (error) {
    logger?.warn({ err: redact(describeError(error)) }, 'could not record the sync run in the run history');
    return null;
  }
}
