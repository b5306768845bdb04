// The stored history of sync runs (table SyncRun, migration 0004): written once per finished sync by the
// sync pipeline (or by the server's sync runner when a sync process died without a report), read by the
// dashboard. Works on both dialects.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Who started a sync. */
export type SyncRunTrigger = 'cli' | 'demo' | 'admin' | 'interval' | 'program';

/**
 * One source of a run, as stored. `changed` and `durationMs` are null when the sync process died before
 * it reported them (only its live progress was known).
 */
export interface SyncRunSource {
  source: string;
  status: string;
  pages: number;
  records: number;
  changed: number | null;
  invalid: number;
  durationMs: number | null;
  error?: string;
}

/** A finished run, as written. */
export interface SyncRunInput {
  trigger: SyncRunTrigger;
  status: 'complete' | 'failed' | 'aborted';
  startedAt: Date;
  finishedAt: Date;
  sources: readonly SyncRunSource[];
  /** Why the run failed as a whole (its sources may say nothing), redacted. */
  error?: string;
}

/** A stored run. */
export interface SyncRunRecord {
  id: number;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  records: number;
  changed: number;
  invalid: number;
  /** Sources that ended with an error (plus one for a run-level error). */
  errors: number;
  error: string | null;
  sources: SyncRunSource[];
}

const sum = (sources: readonly SyncRunSource[], key: 'records' | 'changed' | 'invalid') =>
  sources.reduce((n, s) => n + (s[key] ?? 0), 0);

/**
 * Stores a finished run with its totals and returns its id.
 * @example await recordSyncRun(store.db, { trigger: 'cli', status: 'complete', startedAt, finishedAt: new Date(), sources });
 */
export async function recordSyncRun(db: Kysely<Database>, run: SyncRunInput): Promise<number> {
  const failedSources = run.sources.filter((s) => s.error !== undefined);
  const row = await db
    .insertInto('SyncRun')
    .values({
      trigger: run.trigger,
      status: run.status,
      started_at: run.startedAt.toISOString(),
      finished_at: run.finishedAt.toISOString(),
      duration_ms: Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()),
      records: sum(run.sources, 'records'),
      changed: sum(run.sources, 'changed'),
      invalid: sum(run.sources, 'invalid'),
      errors: failedSources.length + (run.error === undefined ? 0 : 1),
      error: run.error ?? failedSources[0]?.error ?? null,
      sources: JSON.stringify(run.sources),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * The newest runs first.
 * @example const [last] = await listSyncRuns(store.db, { limit: 1 });
 */
export async function listSyncRuns(
  db: Kysely<Database>,
  { limit = 50 }: { limit?: number } = {},
): Promise<SyncRunRecord[]> {
  const rows = await db.selectFrom('SyncRun').selectAll().orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    trigger: r.trigger,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: Number(r.duration_ms),
    records: Number(r.records),
    changed: Number(r.changed),
    invalid: Number(r.invalid),
    errors: Number(r.errors),
    error: r.error,
    sources: JSON.parse(r.sources) as SyncRunSource[],
  }));
}

/**
 * When the latest stored run started (ISO), or null when none is stored: what decides whether a cluster's
 * scheduled sync is due.
 * @example const last = await lastSyncRunStart(store.db);
 */
export async function lastSyncRunStart(db: Kysely<Database>): Promise<string | null> {
  const row = await db
    .selectFrom('SyncRun')
    .select((eb) => eb.fn.max('started_at').as('last'))
    .executeTakeFirst();
  return row?.last ?? null;
}
