// Runs the server's syncs (admin request or interval), one at a time, with per-source progress for
// `GET /admin/sync`; tells the server when one finishes so the model is rebuilt. With a database another
// process can open, each sync runs in its own child process at batch CPU priority (sync-child.ts; paused
// for part of each period while serving is busy, see batch-governor.ts), so feed requests never wait
// behind paging, validation or SQLite writes; otherwise it runs in this process.
//
// Replicas on one PostgreSQL database (a `cluster` coordinator) run one sync at a time between them: a
// sync starts only under the cluster's sync claim (409 on every replica while one runs anywhere), its
// progress is announced to the others (so `GET /admin/sync` on any replica shows it), and the scheduled
// sync fires once per interval for the whole cluster: whoever takes the claim looks at when the latest
// stored run started.
import type { ChildProcess } from 'node:child_process';
import { describeError, FeedError } from '../shared/errors.js';
import { BATCH_NICE, forkModule, siblingModuleUrl } from '../shared/fork-module.js';
import type { Logger } from '../shared/logger.js';
import { redact, registerSecret } from '../shared/redact.js';
import { lastSyncRunStart, type SyncRunInput } from '../store/sync-runs.js';
import type { Store } from '../store/types.js';
import type { ProgressReporter } from '../sync/progress.js';
import { storeSyncRun, syncRunOf } from '../sync/run-record.js';
import { runSync, SYNC_TARGETS, type SyncReport } from '../sync/sync.js';
import type { UpstreamClientOptions } from '../upstream/index.js';
import type { BatchGovernor } from './batch-governor.js';
import type { ClusterClaim, ClusterCoordinator } from './cluster.js';
import type { FromSyncChild, ToSyncChild, UpstreamSettings } from './sync-protocol.js';

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
  /** The process running the sync: a child's pid, or null for a sync in the server's own process. */
  pid: number | null;
  /** With replicas: the replica running it (host:pid of its serving process). */
  replica?: string;
  /** Why the run failed as a whole (the sync process died, the store could not be opened, …). */
  error?: string;
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
  /**
   * The database `store` was opened from. When set, each sync runs in a child process at batch CPU priority
   * (`BATCH_NICE`; with a `governor`, also paused in part while serving is busy) that opens it itself (the
   * Flic token reaches it over IPC only). Unset, or with an `upstream.fetch` function (which cannot cross a
   * process boundary), syncs run in this process: the way for stores no other process can open, such as
   * SQLite `:memory:`.
   */
  database?: { url: string; schema?: string };
  logger?: Logger;
  /**
   * Called after every sync with its report (also failed ones). The run (and with `cluster` the sync claim)
   * ends once a promise it returns settles.
   */
  onFinished?: (report: SyncReport, run: SyncRun) => unknown;
  /** Replicas on one PostgreSQL database: syncs run under the cluster's sync claim (see the file comment). */
  cluster?: ClusterCoordinator;
  /** How long `close()` lets a sync process stop after the abort before it is killed. Default 10000. */
  stopTimeoutMs?: number;
  /** Pauses the sync process for part of each period while serving is busy (see batch-governor.ts). */
  governor?: BatchGovernor;
}

/** Environment variables that carry secrets a sync process never needs from its environment. */
const SECRET_VARIABLES = ['FLIC_TOKEN', 'ADMIN_TOKEN', 'DATA_TOKEN', 'EVENTS_TOKEN', 'LLM_API_KEY'];

/** The server's environment without its secrets: the token travels in the IPC start message only. */
function childEnvironment(token: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (SECRET_VARIABLES.includes(name.toUpperCase())) continue;
    if (token && value?.includes(token)) continue;
    env[name] = value;
  }
  return env;
}

/** Progress announcements to the other replicas: at most one per this many ms. */
const ANNOUNCE_MS = 500;
/** Longest error text a run announces (a notification carries a few KB). */
const ANNOUNCED_ERROR_CHARS = 300;

/** A run as another replica announced it, or null when the data is not one. */
function announcedRun(data: unknown): { replica: string; run: SyncRun } | null {
  const value = data as { replica?: unknown; run?: Partial<SyncRun> } | null;
  const run = value?.run;
  if (typeof value?.replica !== 'string' || typeof run !== 'object' || run === null) return null;
  if (typeof run.id !== 'number' || typeof run.status !== 'string' || typeof run.started_at !== 'string')
    return null;
  if (typeof run.sources !== 'object' || run.sources === null) return null;
  return { replica: value.replica, run: { ...(run as SyncRun), replica: value.replica } };
}

/** The upstream options as data (what can cross into the sync process). */
function upstreamSettings(upstream: Omit<UpstreamClientOptions, 'signal'>): UpstreamSettings {
  const { fetch: _fetch, onRetry: _onRetry, ...settings } = upstream;
  return settings;
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
  /** With `cluster`: when this replica's interval timer started (a fresh replica waits one interval too). */
  private intervalSince = 0;
  private ticking = false;
  private announceTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: SyncRunnerOptions) {
    // Redacted from anything this process logs, whichever process met it.
    registerSecret(options.upstream?.token);
    const { cluster } = options;
    if (cluster) this.unsubscribe = cluster.subscribe('sync', (data) => this.otherReplicaRun(data));
  }

  get configured(): boolean {
    return this.options.upstream !== undefined;
  }

  /** A sync runs here, or (with replicas) was last announced running by another replica. */
  get isRunning(): boolean {
    return this.running !== null || this.current?.status === 'running';
  }

  /** The running (or last) sync and the one before; with replicas, whichever replica ran them. */
  async status(): Promise<SyncStatus> {
    const { cluster } = this.options;
    let running = this.running !== null;
    if (cluster !== undefined && !running) {
      // The claim says whether a sync runs anywhere; announcements only say how far it is.
      const elsewhere = await cluster.isClaimed('sync').catch(() => null);
      running = elsewhere ?? this.current?.status === 'running';
      const current = this.current;
      if (elsewhere === false && current?.status === 'running') {
        current.status = 'failed';
        current.finished_at = new Date().toISOString();
        current.error = `replica ${current.replica ?? '?'} stopped before the sync ended`;
      }
    }
    return {
      running,
      configured: this.configured,
      interval_minutes: this.intervalMinutes,
      current: this.current && structuredClone(this.current),
      previous: this.previous && structuredClone(this.previous),
    };
  }

  /**
   * Starts a sync in the background and returns its run. Throws `FeedError('conflict')` when one is
   * running (with replicas: on any of them) and `model_unavailable` (503) when no upstream is configured.
   */
  async start(trigger: SyncTrigger = 'admin'): Promise<SyncRun> {
    const upstream = this.upstreamOrThrow();
    this.throwIfRunningHere();
    const { cluster } = this.options;
    if (cluster === undefined) return this.launch(trigger, upstream, null);
    const claim = await cluster.tryClaim('sync');
    if (claim === null) {
      this.throwIfRunningHere();
      const other = this.current?.status === 'running' ? this.current : null;
      throw new FeedError(
        'conflict',
        other === null
          ? 'a sync is already running on another replica; see GET /admin/sync'
          : `a sync is already running on replica ${other.replica ?? '?'} (started ${other.started_at}); see GET /admin/sync`,
      );
    }
    return this.launch(trigger, upstream, claim);
  }

  private upstreamOrThrow(): Omit<UpstreamClientOptions, 'signal'> {
    const upstream = this.options.upstream;
    if (upstream === undefined) {
      throw new FeedError(
        'model_unavailable',
        'sync is not configured: start the server with API_BASE_URL (and FLIC_TOKEN) set',
      );
    }
    return upstream;
  }

  private throwIfRunningHere(): void {
    if (this.running !== null && this.current !== null) {
      throw new FeedError(
        'conflict',
        `a sync is already running (run ${this.current.id}, started ${this.current.started_at}); see GET /admin/sync`,
      );
    }
  }

  /** Starts the run (with replicas, under `claim`, which is released once it and its follow-up end). */
  private launch(
    trigger: SyncTrigger,
    upstream: Omit<UpstreamClientOptions, 'signal'>,
    claim: ClusterClaim | null,
  ): SyncRun {
    const run: SyncRun = {
      id: ++this.runs,
      trigger,
      status: 'running',
      started_at: new Date().toISOString(),
      finished_at: null,
      pid: null,
      ...(this.options.cluster ? { replica: this.options.cluster.replica } : {}),
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
    // Forks the sync process (if any) before returning, so the run answered already carries its pid.
    this.running = this.execute(run, upstream, controller.signal).finally(async () => {
      // Released before this replica counts as idle, so its own next start never sees its old claim.
      await claim?.release();
      this.running = null;
      this.controller = null;
    });
    this.announce(run, true);
    return structuredClone(run);
  }

  /** Tells the other replicas how `run` stands: now, or within ANNOUNCE_MS (progress). */
  private announce(run: SyncRun, now = false): void {
    const { cluster } = this.options;
    if (cluster === undefined) return;
    const send = () => {
      const sources = Object.fromEntries(
        Object.entries(run.sources).map(([name, s]) => [
          name,
          s.error === undefined ? s : { ...s, error: s.error.slice(0, ANNOUNCED_ERROR_CHARS) },
        ]),
      );
      const announced = {
        ...run,
        sources,
        ...(run.error !== undefined ? { error: run.error.slice(0, ANNOUNCED_ERROR_CHARS) } : {}),
      };
      void cluster.publish('sync', { replica: cluster.replica, run: announced });
    };
    if (now) {
      if (this.announceTimer !== null) clearTimeout(this.announceTimer);
      this.announceTimer = null;
      send();
      return;
    }
    this.announceTimer ??= setTimeout(() => {
      this.announceTimer = null;
      send();
    }, ANNOUNCE_MS);
  }

  /** Another replica's run: it becomes the current one (the one it replaces, the previous). */
  private otherReplicaRun(data: unknown): void {
    const announced = announcedRun(data);
    if (announced === null || announced.replica === this.options.cluster?.replica) return;
    const { run } = announced;
    const same = this.current?.replica === run.replica && this.current?.id === run.id;
    if (!same && this.current !== null) this.previous = this.current;
    this.current = run;
  }

  /**
   * Runs a sync every `minutes` (skipping a tick while one runs); null stops it. With replicas, every
   * replica looks often (a tenth of the interval, 1..30 s) and the one that takes the claim syncs when the
   * latest stored run started an interval ago or more.
   */
  setInterval(minutes: number | null): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.intervalMinutes = minutes;
    if (minutes === null) return;
    if (!(minutes > 0) || !Number.isFinite(minutes)) {
      throw new FeedError('config_invalid', `sync interval must be a number of minutes > 0, got ${minutes}`);
    }
    const periodMs = minutes * 60_000;
    if (this.options.cluster === undefined) {
      this.timer = setInterval(() => {
        if (this.running === null && this.configured) this.start('interval').catch(() => {});
      }, periodMs);
    } else {
      this.intervalSince = Date.now();
      this.timer = setInterval(
        () => {
          this.intervalTick(periodMs).catch((error: unknown) =>
            this.options.logger?.warn({ err: describeError(error) }, 'scheduled sync check failed'),
          );
        },
        Math.min(30_000, Math.max(1000, periodMs / 10)),
      );
    }
    this.timer.unref();
  }

  /** With replicas: takes the sync claim if free and starts the scheduled sync when it is due. */
  private async intervalTick(periodMs: number): Promise<void> {
    const { cluster, store, upstream } = this.options;
    if (cluster === undefined || upstream === undefined || this.running !== null || this.ticking) return;
    this.ticking = true;
    try {
      const claim = await cluster.tryClaim('sync');
      if (claim === null) return;
      let launched = false;
      try {
        const last = await lastSyncRunStart(store.db);
        const since = Math.max(last === null ? 0 : Date.parse(last), this.intervalSince);
        if (Date.now() - since >= periodMs && this.running === null) {
          this.launch('interval', upstream, claim);
          launched = true;
        }
      } finally {
        if (!launched) await claim.release();
      }
    } finally {
      this.ticking = false;
    }
  }

  /** Resolves when the running sync (if any) has finished. */
  async idle(): Promise<void> {
    await this.running;
  }

  /**
   * Stops the interval and aborts a running sync (it stops after its current page), then waits for it
   * (a sync process that has not stopped `stopTimeoutMs` after the abort is killed).
   */
  async close(): Promise<void> {
    this.setInterval(null);
    this.unsubscribe?.();
    this.controller?.abort(new Error('server shutting down'));
    await this.running;
    // The run's last announcement went out at its end; a pending progress one is moot.
    if (this.announceTimer !== null) clearTimeout(this.announceTimer);
    this.announceTimer = null;
  }

  private progress(run: SyncRun): ProgressReporter {
    const source = (name: string) => {
      run.sources[name] ??= { status: 'pending', pages: 0, records: 0, invalid: 0, start_page: null };
      return run.sources[name]!;
    };
    const announce = () => this.announce(run);
    return {
      start(name, info) {
        Object.assign(source(name), { status: 'running', start_page: info.startPage });
        announce();
      },
      update(name, p) {
        Object.assign(source(name), { pages: p.pages, records: p.records, invalid: p.invalid });
        announce();
      },
      finish(name, p) {
        Object.assign(source(name), {
          status: p.status as SourceStatus,
          pages: p.pages,
          records: p.records,
          invalid: p.invalid,
        });
        announce();
      },
      stop() {},
    };
  }

  private async execute(
    run: SyncRun,
    upstream: Omit<UpstreamClientOptions, 'signal'>,
    signal: AbortSignal,
  ): Promise<void> {
    const { store, logger, onFinished, database } = this.options;
    let report: SyncReport;
    let reported = false;
    try {
      const inChild = database !== undefined && upstream.fetch === undefined;
      const reports = inChild
        ? this.runInChild(run, database, upstream, signal)
        : runSync({ store, upstream, signal, progress: this.progress(run) });
      logger?.info({ run: run.id, trigger: run.trigger, childPid: run.pid }, 'sync started');
      report = await reports;
      reported = true;
      for (const s of report.sources) {
        if (s.error !== undefined && run.sources[s.source]) run.sources[s.source]!.error = s.error;
      }
      run.status = signal.aborted ? 'aborted' : report.ok ? 'complete' : 'failed';
    } catch (error) {
      report = { sources: [], ok: false };
      run.status = signal.aborted ? 'aborted' : 'failed';
      const message = redact(describeError(error));
      run.error = message;
      // The source(s) in flight when it broke off.
      for (const s of Object.values(run.sources)) {
        if (s.status !== 'running') continue;
        s.status = run.status;
        s.error ??= message;
      }
      logger?.error({ run: run.id, err: message }, 'sync failed');
    }
    run.finished_at = new Date().toISOString();
    // Sources never reached (an abort) stay visible as such.
    for (const s of Object.values(run.sources))
      if (s.status === 'pending' && signal.aborted) s.status = 'aborted';
    logger?.info(
      { run: run.id, status: run.status, records: report.sources.reduce((n, s) => n + s.records, 0) },
      'sync finished',
    );
    // Into the run history before the run stops counting as running, so whoever waits for the end sees it.
    await storeSyncRun(store, reported ? this.historyOf(run, report) : this.historyOfBroken(run), logger);
    this.announce(run, true);
    try {
      await onFinished?.(report, run);
    } catch (error) {
      logger?.error({ err: describeError(error) }, 'sync follow-up failed');
    }
  }

  /** The run-history row of a run that reported. */
  private historyOf(run: SyncRun, report: SyncReport): SyncRunInput {
    return syncRunOf(report, {
      trigger: run.trigger,
      startedAt: new Date(run.started_at),
      finishedAt: new Date(run.finished_at ?? Date.now()),
      aborted: run.status === 'aborted',
    });
  }

  /**
   * The run-history row of a run that broke off without a report (its process died, the store could not
   * be opened): the live progress is all that is known, so rows changed and durations are left unknown.
   */
  private historyOfBroken(run: SyncRun): SyncRunInput {
    return {
      trigger: run.trigger,
      status: run.status === 'aborted' ? 'aborted' : 'failed',
      startedAt: new Date(run.started_at),
      finishedAt: new Date(run.finished_at ?? Date.now()),
      sources: Object.entries(run.sources)
        .filter(([, s]) => s.status !== 'pending')
        .map(([source, s]) => ({
          source,
          status: s.status,
          pages: s.pages,
          records: s.records,
          changed: null,
          invalid: s.invalid,
          durationMs: null,
          ...(s.error !== undefined ? { error: s.error } : {}),
        })),
      ...(run.error !== undefined ? { error: run.error } : {}),
    };
  }

  /**
   * Runs one sync in a child process (sync-child.ts), mirroring its progress into `run`; resolves with
   * its report. Rejects when it fails, or ends without a report (a crash, a kill, running out of memory).
   */
  private runInChild(
    run: SyncRun,
    database: { url: string; schema?: string },
    upstream: Omit<UpstreamClientOptions, 'signal'>,
    signal: AbortSignal,
  ): Promise<SyncReport> {
    const { logger, stopTimeoutMs = 10_000 } = this.options;
    return new Promise<SyncReport>((resolve, reject) => {
      const child: ChildProcess = forkModule(siblingModuleUrl(import.meta.url, 'sync-child'), {
        nice: BATCH_NICE,
        env: childEnvironment(upstream.token),
      });
      run.pid = child.pid ?? null;
      this.options.governor?.govern(child);
      const progress = this.progress(run);
      const failedSend = (error: Error | null) => {
        if (error)
          logger?.warn({ run: run.id, err: describeError(error) }, 'message to the sync process lost');
      };
      // A child that is gone takes no message; its 'close' settles the run.
      const send = (message: ToSyncChild) => child.connected && child.send(message, failedSend);
      let ready = false;
      let outcome: { report: SyncReport } | { failure: string } | null = null;
      let killTimer: NodeJS.Timeout | undefined;
      let settled = false;

      const abort = () => {
        if (ready) send({ type: 'abort', reason: describeError(signal.reason) });
        killTimer ??= setTimeout(() => {
          logger?.warn({ run: run.id, childPid: run.pid }, 'sync process did not stop in time; killing it');
          child.kill('SIGKILL');
        }, stopTimeoutMs);
      };
      const settle = (error: Error | null, report?: SyncReport) => {
        if (settled) return;
        settled = true;
        clearTimeout(killTimer);
        signal.removeEventListener('abort', abort);
        if (error === null && report !== undefined) resolve(report);
        else reject(error);
      };
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });

      child.on('message', (message: FromSyncChild) => {
        switch (message.type) {
          case 'ready':
            ready = true;
            send({
              type: 'start',
              database: database.url,
              ...(database.schema !== undefined ? { schema: database.schema } : {}),
              upstream: upstreamSettings(upstream),
              ...(this.options.cluster ? { clusterLock: true } : {}),
            });
            if (signal.aborted) send({ type: 'abort', reason: describeError(signal.reason) });
            return;
          case 'progress-start':
            progress.start(message.source, message.info);
            return;
          case 'progress-update':
            progress.update(message.source, message.progress);
            return;
          case 'progress-finish':
            progress.finish(message.source, message.progress);
            return;
          case 'retry':
            try {
              upstream.onRetry?.(message.info);
            } catch (error) {
              logger?.warn({ err: describeError(error) }, 'onRetry failed');
            }
            return;
          case 'done':
            outcome = { report: message.report };
            return;
          case 'failed':
            outcome = { failure: message.message };
            return;
        }
      });
      child.on('error', (error) => {
        // Spawning failed (no pid): no 'close' may follow. Other errors (a failed kill) are logged only.
        if (child.pid === undefined)
          settle(new Error(`cannot start the sync process: ${describeError(error)}`));
        else logger?.warn({ run: run.id, err: describeError(error) }, 'sync process error');
      });
      // 'close' comes after the IPC channel is closed, so every message the child sent has arrived.
      child.on('close', (code, exitSignal) => {
        const how = exitSignal !== null ? `signal ${exitSignal}` : `code ${code}`;
        if (outcome !== null && 'report' in outcome) settle(null, outcome.report);
        else if (outcome !== null) settle(new Error(outcome.failure));
        else if (signal.aborted) settle(new Error(`sync process stopped without a report (${how})`));
        else {
          logger?.error({ run: run.id, childPid: run.pid, code, signal: exitSignal }, 'sync process died');
          settle(new Error(`sync process exited unexpectedly (${how})`));
        }
      });
    });
  }
}
