// Runs syncs inside the server (admin request or interval), one at a time, with per-source progress for
// `GET /admin/sync`; tells the server when one finishes so the model is rebuilt.
import { describeError, FeedError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { redact } from '../shared/redact.js';
import type { Store } from '../store/types.js';
import type { ProgressReporter } from '../sync/progress.js';
import { runSync, SYNC_TARGETS, type SyncReport } from '../sync/sync.js';
import type { UpstreamClientOptions } from '../upstream/index.js';

export type SyncTrigger = 'admin' | 'interval';
export type SourceStatus = 'pending' | 'running' | 'complete' | 'failed' | 'aborted';

export interface SourceProgressState {
  status: SourceStatus;
  pages: number;
  records: number;
  invalid: number;
  start_page: number | null;
  error?: string;
}

/** One sync run as `GET /admin/sync` shows it. */
export interface SyncRun {
  id: number;
  trigger: SyncTrigger;
  status: 'running' | 'complete' | 'failed' | 'aborted';
  started_at: string;
  finished_at: string | null;
  sources: Record<string, SourceProgressState>;
}

export interface SyncStatus {
  running: boolean;
  configured: boolean;
  interval_minutes: number | null;
  current: SyncRun | null;
  previous: SyncRun | null;
}

export interface SyncRunnerOptions {
  store: Store;
  /** Upstream settings; without them syncs are refused (the server still serves the stored data). */
  upstream?: Omit<UpstreamClientOptions, 'signal'>;
  logger?: Logger;
  /** Called after every sync with its report (also failed ones). */
  onFinished?: (report: SyncReport, run: SyncRun) => void;
}

/** Starts syncs one at a time and keeps the progress of the running and the previous one. */
export class SyncRunner {
  private current: SyncRun | null = null;
  private previous: SyncRun | null = null;
  private running: Promise<void> | null = null;
  private controller: AbortController | null = null;
  private timer: NodeJS.Timeout | null = null;
  private intervalMinutes: number | null = null;
  private runs = 0;

  constructor(private readonly options: SyncRunnerOptions) {}

  get configured(): boolean {
    return this.options.upstream !== undefined;
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  status(): SyncStatus {
    return {
      running: this.running !== null,
      configured: this.configured,
      interval_minutes: this.intervalMinutes,
      current: this.current && structuredClone(this.current),
      previous: this.previous && structuredClone(this.previous),
    };
  }

  /**
   * Starts a sync in the background and returns its run. Throws `FeedError('conflict')` when one is
   * running and `model_unavailable` (503) when no upstream is configured.
   */
  start(trigger: SyncTrigger = 'admin'): SyncRun {
    const upstream = this.options.upstream;
    if (upstream === undefined) {
      throw new FeedError(
        'model_unavailable',
        'sync is not configured: start the server with API_BASE_URL (and FLIC_TOKEN) set',
      );
    }
    if (this.running !== null && this.current !== null) {
      throw new FeedError(
        'conflict',
        `a sync is already running (run ${this.current.id}, started ${this.current.started_at}); see GET /admin/sync`,
      );
    }
    const run: SyncRun = {
      id: ++this.runs,
      trigger,
      status: 'running',
      started_at: new Date().toISOString(),
      finished_at: null,
      sources: Object.fromEntries(
        SYNC_TARGETS.map((s) => [
          s,
          { status: 'pending', pages: 0, records: 0, invalid: 0, start_page: null },
        ]),
      ),
    };
    if (this.current !== null) this.previous = this.current;
    this.current = run;
    const controller = new AbortController();
    this.controller = controller;
    this.options.logger?.info({ run: run.id, trigger }, 'sync started');
    this.running = this.execute(run, upstream, controller.signal).finally(() => {
      this.running = null;
      this.controller = null;
    });
    return structuredClone(run);
  }

  /** Runs a sync every `minutes` (skipping a tick while one runs); null stops it. */
  setInterval(minutes: number | null): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.intervalMinutes = minutes;
    if (minutes === null) return;
    if (!(minutes > 0) || !Number.isFinite(minutes)) {
      throw new FeedError('config_invalid', `sync interval must be a number of minutes > 0, got ${minutes}`);
    }
    this.timer = setInterval(() => {
      if (this.running === null && this.configured) this.start('interval');
    }, minutes * 60_000);
    this.timer.unref();
  }

  /** Resolves when the running sync (if any) has finished. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Stops the interval and aborts a running sync (it stops after its current page), then waits for it. */
  async close(): Promise<void> {
    this.setInterval(null);
    this.controller?.abort(new Error('server shutting down'));
    await this.running;
  }

  private progress(run: SyncRun): ProgressReporter {
    const source = (name: string) => {
      run.sources[name] ??= { status: 'pending', pages: 0, records: 0, invalid: 0, start_page: null };
      return run.sources[name]!;
    };
    return {
      start(name, info) {
        Object.assign(source(name), { status: 'running', start_page: info.startPage });
      },
      update(name, p) {
        Object.assign(source(name), { pages: p.pages, records: p.records, invalid: p.invalid });
      },
      finish(name, p) {
        Object.assign(source(name), {
          status: p.status as SourceStatus,
          pages: p.pages,
          records: p.records,
          invalid: p.invalid,
        });
      },
      stop() {},
    };
  }

  private async execute(
    run: SyncRun,
    upstream: Omit<UpstreamClientOptions, 'signal'>,
    signal: AbortSignal,
  ): Promise<void> {
    const { store, logger, onFinished } = this.options;
    let report: SyncReport;
    try {
      report = await runSync({ store, upstream, signal, progress: this.progress(run) });
      for (const s of report.sources) {
        if (s.error !== undefined && run.sources[s.source]) run.sources[s.source]!.error = s.error;
      }
      run.status = signal.aborted ? 'aborted' : report.ok ? 'complete' : 'failed';
    } catch (error) {
      report = { sources: [], ok: false };
      run.status = signal.aborted ? 'aborted' : 'failed';
      logger?.error({ run: run.id, err: redact(describeError(error)) }, 'sync failed');
    }
    run.finished_at = new Date().toISOString();
    // Sources never reached (an abort) stay visible as such.
    for (const s of Object.values(run.sources))
      if (s.status === 'pending' && signal.aborted) s.status = 'aborted';
    logger?.info(
      { run: run.id, status: run.status, records: report.sources.reduce((n, s) => n + s.records, 0) },
      'sync finished',
    );
    try {
      onFinished?.(report, run);
    } catch (error) {
      logger?.error({ err: describeError(error) }, 'sync follow-up failed');
    }
  }
}
