// The batch governor on real child processes: while serving is busy it pauses them for part of each period
// (the kernel shows them stopped) and resumes them; idle, it never pauses; close() leaves none paused; a
// child that exits is forgotten. servingLoad reads a worker thread's event-loop utilisation.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchGovernor, servingLoad } from '../src/server/batch-governor.js';

const linux = existsSync('/proc/self/stat');
const children: ChildProcess[] = [];
const governors: BatchGovernor[] = [];

afterEach(() => {
  for (const governor of governors.splice(0)) governor.close();
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A child that spins until killed (a batch process busy with its work). */
function spinner(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

function governor(options: ConstructorParameters<typeof BatchGovernor>[0]): BatchGovernor {
  const g = new BatchGovernor(options);
  governors.push(g);
  return g;
}

/** The process state the kernel reports: `T` when stopped. */
const stateOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
};

/** Samples `pid`'s state every 5 ms for `count` samples. */
async function sampleStates(pid: number, count: number): Promise<string[]> {
  const states: string[] = [];
  for (let i = 0; i < count; i++) {
    states.push(stateOf(pid));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return states;
}

describe.skipIf(!linux)('BatchGovernor', () => {
  it('pauses a governed child for part of each period while serving is busy, and resumes it', async () => {
    const child = spinner();
    const g = governor({ load: () => 1, shareWhenBusy: 0.5, periodMs: 40 });
    g.govern(child);
    expect(g.size).toBe(1);
    // 100 samples over ≥ 0.5 s span a dozen periods: the child is seen both stopped and running.
    const states = await sampleStates(child.pid!, 100);
    expect(states).toContain('T');
    expect(states.some((s) => s !== 'T')).toBe(true);
    expect(g.busy).toBe(true);
    expect(g.pausedSeconds).toBeGreaterThan(0);
  });

  it('never pauses while serving is idle', async () => {
    const child = spinner();
    const g = governor({ load: () => 0.1, periodMs: 20 });
    g.govern(child);
    const states = await sampleStates(child.pid!, 60);
    expect(states).not.toContain('T');
    expect(g.busy).toBe(false);
    expect(g.pausedSeconds).toBe(0);
  });

  it('leaves no child paused once closed, and governs none after', async () => {
    const child = spinner();
    const g = governor({ load: () => 1, shareWhenBusy: 0.1, periodMs: 200 });
    g.govern(child);
    // Paused for 180 of every 200 ms: caught paused quickly.
    for (let i = 0; i < 400 && stateOf(child.pid!) !== 'T'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(stateOf(child.pid!)).toBe('T');
    g.close();
    const states = await sampleStates(child.pid!, 60);
    expect(states).not.toContain('T');
    const later = spinner();
    g.govern(later);
    expect(g.size).toBe(0);
  });

  it('forgets a child that exits, paused or not, and keeps governing the others', async () => {
    const g = governor({ load: () => 1, shareWhenBusy: 0.5, periodMs: 20 });
    const ending = spinner();
    const staying = spinner();
    g.govern(ending);
    g.govern(staying);
    expect(g.size).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const exited = new Promise((resolve) => ending.once('exit', resolve));
    ending.kill('SIGKILL');
    await exited;
    expect(g.size).toBe(1);
    expect(await sampleStates(staying.pid!, 60)).toContain('T');
  });

  it('does not govern at a share of 1, and refuses shares outside (0, 1]', () => {
    const g = governor({ load: () => 1, shareWhenBusy: 1 });
    g.govern(spinner());
    expect(g.size).toBe(0);
    expect(() => new BatchGovernor({ load: () => 1, shareWhenBusy: 0 })).toThrow(/shareWhenBusy must be > 0/);
    expect(() => new BatchGovernor({ load: () => 1, shareWhenBusy: 1.5 })).toThrow(/≤ 1, got 1.5/);
  });
});

describe('servingLoad', () => {
  it('reads the busiest thread: a worker spinning its event loop loads near 1, an idle one near 0', async () => {
    const busy = new Worker(
      // Busy 10 ms at a time for 1.5 s (yielding between, as a scoring thread under load does), then idle.
      'const end = Date.now() + 1500; const spin = () => { const until = Date.now() + 10; while (Date.now() < until) {} if (Date.now() < end) setImmediate(spin); }; spin(); setInterval(() => {}, 1000);',
      { eval: true },
    );
    const idle = new Worker('setInterval(() => {}, 1000);', { eval: true });
    try {
      await Promise.all([
        new Promise((resolve) => busy.once('online', resolve)),
        new Promise((resolve) => idle.once('online', resolve)),
      ]);
      const both = servingLoad(() => [busy, idle]);
      const idleOnly = servingLoad(() => [idle]);
      both();
      idleOnly();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(both()).toBeGreaterThan(0.8);
      expect(idleOnly()).toBeLessThan(0.5);
    } finally {
      await Promise.all([busy.terminate(), idle.terminate()]);
    }
  });
});
