// Holds a serving process's batch children (syncs, model builds) to a share of the time while its serving
// threads are busy: each period they run for `shareWhenBusy` of it and are paused (SIGSTOP, then SIGCONT)
// for the rest, as cpulimit does. When serving is idle they run at full speed.
//
// Why not priority alone: measured in bench:feed:users at 100k users on the 2-core machine, a build at
// nice 5 cost the feed 30–40 % of its throughput, and a spinner at nice 19 or SCHED_IDLE still 12–30 %,
// a memory-streaming one 15–40 %: what batch work takes from serving is less the CPU time the scheduler
// shares out than the caches and memory bandwidth it uses whenever it runs at all. Paused half of each
// 100 ms while serving was busy, the sync and rebuild cost 12 % (88 % of the throughput before the sync,
// p99 18 ms) and the swap came after 191 s instead of 86. Governed (this class, default share) against
// ungoverned (`--batch-share 100`) in the same hour: 78 % against 60 % of the after-ready throughput
// during the sync and rebuild, worst p99 41 against 39 ms, swap after 191 s against 96.
//
// While this process lives a paused child is never stranded: every pause is followed by a resume within
// the period, and close() resumes them all. Should this process be killed (-9) during a pause, the child
// stays stopped unless something ends it: run from a shell, the kernel sends the process group it leaves
// orphaned SIGHUP and SIGCONT; under a service manager that stops the whole unit (systemd's default
// KillMode=control-group) it goes with the unit. A child stopped outside both stays (`kill -CONT`/`-9`).
import type { ChildProcess } from 'node:child_process';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';

export interface BatchGovernorOptions {
  /** Serving load since the last call, 0..1 (see `servingLoad`). */
  load: () => number;
  /** Share of each period a batch child runs while serving is busy, 0 < share ≤ 1 (1: never paused). Default 0.5. */
  shareWhenBusy?: number;
  /** Load at or above which serving counts as busy. Default 0.5. */
  busyAt?: number;
  /** One run-then-pause cycle, ms. Default 100 (short enough that a paused sync's IPC and locks wait ≤ 50 ms). */
  periodMs?: number;
}

export class BatchGovernor {
  private readonly children = new Set<ChildProcess>();
  private readonly share: number;
  private readonly busyAt: number;
  private readonly periodMs: number;
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private pausedSince = 0;
  private pausedMsTotal = 0;
  private closed = false;
  /** Whether serving was busy at the last look. */
  busy = false;

  constructor(private readonly options: BatchGovernorOptions) {
    const { shareWhenBusy = 0.5, busyAt = 0.5, periodMs = 100 } = options;
    if (!(shareWhenBusy > 0 && shareWhenBusy <= 1)) {
      throw new RangeError(`shareWhenBusy must be > 0 and ≤ 1, got ${shareWhenBusy}`);
    }
    if (!(periodMs >= 10)) throw new RangeError(`periodMs must be ≥ 10, got ${periodMs}`);
    this.share = shareWhenBusy;
    this.busyAt = busyAt;
    this.periodMs = periodMs;
  }

  /** Governs `child` until it exits. */
  govern(child: ChildProcess): void {
    if (this.closed || this.share >= 1 || child.pid === undefined) return;
    if (child.exitCode !== null || child.signalCode !== null) return;
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    // A child registered during a pause runs until the next one.
    this.timer ??= setTimeout(this.cycle, 0);
  }

  /** Batch children governed now. */
  get size(): number {
    return this.children.size;
  }

  /** Seconds batch children have spent paused (wall time of the pauses, however many children). */
  get pausedSeconds(): number {
    const current = this.paused ? performance.now() - this.pausedSince : 0;
    return (this.pausedMsTotal + current) / 1000;
  }

  /** Resumes every child and stops governing (children registered later run freely). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.resume();
    this.children.clear();
  }

  /** One period: look at the load, then run (and, when busy, pause for the period's rest). */
  private readonly cycle = (): void => {
    this.timer = null;
    if (this.closed || this.children.size === 0) return;
    this.busy = this.options.load() >= this.busyAt;
    if (!this.busy) {
      this.schedule(this.cycle, this.periodMs);
      return;
    }
    const runMs = this.periodMs * this.share;
    this.schedule(() => {
      this.pause();
      this.schedule(() => {
        this.resume();
        this.cycle();
      }, this.periodMs - runMs);
    }, runMs);
  };

  private schedule(fn: () => void, ms: number): void {
    this.timer = setTimeout(fn, ms);
    // Governing never keeps the process alive: the children's own handles do.
    this.timer.unref();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.pausedSince = performance.now();
    for (const child of this.children) this.signal(child, 'SIGSTOP');
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pausedMsTotal += performance.now() - this.pausedSince;
    for (const child of this.children) this.signal(child, 'SIGCONT');
  }

  private signal(child: ChildProcess, signal: 'SIGSTOP' | 'SIGCONT'): void {
    try {
      process.kill(child.pid as number, signal);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Already gone (its 'exit' is on its way).
      if (code === 'ESRCH') this.children.delete(child);
      // Pausing is unavailable here (no SIGSTOP, e.g. on Windows, or not permitted): stop governing, so
      // every child runs freely rather than one being left paused.
      else this.close();
    }
  }
}

/**
 * The load of the busiest serving thread since the last call: this (the HTTP) thread's event-loop
 * utilisation and each of `threads()`'s, 0..1. A thread first seen counts from its start.
 * @example const governor = new BatchGovernor({ load: servingLoad(() => holder.servingThreads()) });
 */
export function servingLoad(threads: () => Iterable<Worker>): () => number {
  let main: EventLoopUtilization = performance.eventLoopUtilization();
  const seen = new WeakMap<Worker, EventLoopUtilization>();
  return () => {
    const now = performance.eventLoopUtilization();
    let busiest = performance.eventLoopUtilization(now, main).utilization;
    main = now;
    for (const thread of threads()) {
      const current = thread.performance.eventLoopUtilization();
      const previous = seen.get(thread);
      const load = previous
        ? thread.performance.eventLoopUtilization(current, previous).utilization
        : current.utilization;
      seen.set(thread, current);
      if (load > busiest) busiest = load;
    }
    return busiest;
  };
}
