// Sync: pulls every upstream source page by page into the store, resumable from a checkpoint, then
// derives PostSummary rows. Batch work reports per source; one failing source never stops the others.

import { describeError, FeedError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { redact } from '../shared/redact.js';
import type { Store } from '../store/types.js';
import { pages, type UpstreamClientOptions } from '../upstream/index.js';
import { SOURCE_NAMES, type SourceName } from '../upstream/sources.js';
import { deriveSummaries } from './derive-summaries.js';
import type { Summariser } from './llm-summariser.js';
import { type ProgressReporter, silentProgress } from './progress.js';

/** What `--only` accepts: the six upstream sources and the derived summaries. */
export const SYNC_TARGETS = [...SOURCE_NAMES, 'summaries'] as const;
export type SyncTarget = (typeof SYNC_TARGETS)[number];

/** One skipped record: where it was and why. */
export interface SkippedRecord {
  page: number;
  index: number;
  id?: unknown;
  reason: string;
}

export interface SourceReport {
  source: SyncTarget;
  status: 'complete' | 'failed' | 'aborted';
  /** Page this run started from (> 1 when it resumed an interrupted pass). */
  startPage: number;
  pages: number;
  /** Valid records received and stored. */
  records: number;
  /** Rows inserted or changed by this run. */
  changed: number;
  /** Records skipped as invalid. */
  invalid: number;
  /** The first few invalid records with their reasons. */
  invalidSamples: SkippedRecord[];
  error?: string;
  durationMs: number;
}

export interface SyncReport {
  /** Set when nothing ran, with the reason (e.g. `--if-empty` on a populated database). */
  skipped?: string;
  sources: SourceReport[];
  ok: boolean;
}

export interface SyncOptions {
  store: Store;
  /** Upstream client settings (base URL, token, page size, retries, concurrency…). */
  upstream: Omit<UpstreamClientOptions, 'signal'>;
  /** Limit the run to these targets; default all, in dependency order. */
  only?: readonly SyncTarget[];
  /** The prototype's rule: populate only when the database has no users. */
  ifEmpty?: boolean;
  signal?: AbortSignal;
  logger?: Logger;
  progress?: ProgressReporter;
  /** How many invalid-record examples to keep per source. */
  maxInvalidSamples?: number;
  /** Writes PostSummary rows; default the deterministic, offline summariser. */
  summarise?: Summariser;
}

/**
 * Runs a sync and reports what each source did.
 *
 * @example const report = await runSync({ store, upstream: { baseUrl: 'http://127.0.0.1:8001', token } });
 */
export async function runSync({
  store,
  upstream,
  only = SYNC_TARGETS,
  ifEmpty = false,
  signal,
  logger,
  progress = silentProgress,
  maxInvalidSamples = 10,
  summarise,
}: SyncOptions): Promise<SyncReport> {
  if (ifEmpty) {
    const users = await store.countUsers();
    if (users > 0) {
      const skipped = `database already has ${users} users; --if-empty syncs only an empty database`;
      logger?.info({ users }, 'sync skipped: database not empty');
      return { skipped, sources: [], ok: true };
    }
  }
  const reports: SourceReport[] = [];
  try {
    // Dependency order: summaries derive from posts, so they run after them.
    for (const target of SYNC_TARGETS) {
      if (!only.includes(target)) continue;
      if (signal?.aborted) break;
      const report =
        target === 'summaries'
          ? await syncSummaries(store, { progress, signal, summarise, maxInvalidSamples })
          : await syncSource(target, { store, upstream, signal, progress, maxInvalidSamples });
      reports.push(report);
      const level = report.status === 'complete' ? 'info' : 'error';
      logger?.[level]({ ...report, invalidSamples: report.invalidSamples.slice(0, 3) }, 'sync source done');
    }
  } finally {
    progress.stop();
  }
  return { sources: reports, ok: reports.every((r) => r.status === 'complete') && !signal?.aborted };
}

interface SourceContext {
  store: Store;
  upstream: Omit<UpstreamClientOptions, 'signal'>;
  signal: AbortSignal | undefined;
  progress: ProgressReporter;
  maxInvalidSamples: number;
}

async function syncSource(source: SourceName, context: SourceContext): Promise<SourceReport> {
  const { store, upstream, signal, progress, maxInvalidSamples } = context;
  const startedAt = performance.now();
  const pageSize = upstream.pageSize ?? 1000;
  const previous = await store.getSyncState(source);
  const state = await store.beginSync(source, pageSize);
  const report: SourceReport = {
    source,
    status: 'complete',
    startPage: state.nextPage,
    pages: 0,
    records: 0,
    changed: 0,
    invalid: 0,
    invalidSamples: [],
    durationMs: 0,
  };
  progress.start(source, { startPage: state.nextPage, expected: previous?.lastRecordCount ?? null });
  try {
    for await (const page of pages(source, { ...upstream, startPage: state.nextPage, signal })) {
      // The page's rows and the checkpoint after it commit together: a kill between pages loses nothing.
      const written = await store.writePage(source, page.records, { page: page.page, pageSize });
      report.pages += 1;
      report.records += page.records.length;
      report.changed += written.changed;
      report.invalid += page.invalid.length;
      for (const bad of page.invalid) {
        if (report.invalidSamples.length >= maxInvalidSamples) break;
        report.invalidSamples.push({ page: page.page, index: bad.index, id: bad.id, reason: bad.reason });
      }
      progress.update(source, { pages: report.pages, records: report.records, invalid: report.invalid });
    }
    if (signal?.aborted) report.status = 'aborted';
    else await store.completeSync(source, report.records);
  } catch (error) {
    report.status = signal?.aborted ? 'aborted' : 'failed';
    report.error = redact(describeError(error));
  }
  report.durationMs = Math.round(performance.now() - startedAt);
  progress.finish(source, {
    pages: report.pages,
    records: report.records,
    invalid: report.invalid,
    status: report.status,
  });
  return report;
}

interface SummaryContext {
  progress: ProgressReporter;
  signal: AbortSignal | undefined;
  summarise: Summariser | undefined;
  maxInvalidSamples: number;
}

async function syncSummaries(
  store: Store,
  { progress, signal, summarise, maxInvalidSamples }: SummaryContext,
): Promise<SourceReport> {
  const startedAt = performance.now();
  const report: SourceReport = {
    source: 'summaries',
    status: 'complete',
    startPage: 1,
    pages: 0,
    records: 0,
    changed: 0,
    invalid: 0,
    invalidSamples: [],
    durationMs: 0,
  };
  progress.start('summaries', { startPage: 1, expected: null });
  try {
    await store.beginSync('summaries', 0);
    for await (const batch of deriveSummaries(store, { signal, summarise })) {
      report.pages += 1;
      report.records += batch.rows;
      report.changed += batch.changed;
      // A summariser failure keeps the deterministic row; it is reported like a skipped record.
      report.invalid += batch.fallbacks.length;
      for (const fallback of batch.fallbacks) {
        if (report.invalidSamples.length >= maxInvalidSamples) break;
        report.invalidSamples.push({
          page: report.pages,
          index: 0,
          id: fallback.postId,
          reason: fallback.reason,
        });
      }
      progress.update('summaries', { pages: report.pages, records: report.records, invalid: report.invalid });
    }
    if (signal?.aborted) report.status = 'aborted';
    else await store.completeSync('summaries', report.records);
  } catch (error) {
    report.status = signal?.aborted ? 'aborted' : 'failed';
    report.error = redact(describeError(error));
  }
  report.durationMs = Math.round(performance.now() - startedAt);
  progress.finish('summaries', {
    pages: report.pages,
    records: report.records,
    invalid: 0,
    status: report.status,
  });
  return report;
}

/** Parses `--only users,posts` into targets, naming what is accepted when a value is not. */
export function parseSyncTargets(value: string): SyncTarget[] {
  const names = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = names.filter((n) => !(SYNC_TARGETS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new FeedError(
      'bad_request',
      `--only accepts a comma-separated list of ${SYNC_TARGETS.join(', ')}; got ${JSON.stringify(value)}`,
    );
  }
  return names as SyncTarget[];
}
