// A full garbage collection on demand, for the few moments that drop a lot of memory at once and must
// see it returned (a dropped model snapshot). A SharedArrayBuffer's memory
// goes back to the OS only once every thread that opened it has collected its handle, and an idle
// old generation may not be collected for minutes: serve held two 156-MiB snapshots for as long as
// bench:feed:users looked after a swap, so the next sync would have stacked a third.
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null = null;

/**
 * Runs a full, synchronous collection of this thread's heap; returns the milliseconds it took. V8
 * exposes `gc` only to contexts made after `--expose-gc` is set, so it comes from a fresh context that
 * nothing else uses; the flag changes nothing else.
 */
function collectGarbage(): number {
  if (gc === null) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  const started = performance.now();
  gc();
  return performance.now() - started;
}

/**
 * Whether `ref`'s target is gone from this thread's heap after a full collection. A WeakRef made or read
 * in a task keeps its target alive to that task's end, so the collection runs a macrotask later and the
 * answer comes one after that.
 * @example const { collected } = await collectedAfterGc(new WeakRef(bytes.buffer));
 */
export async function collectedAfterGc(ref: WeakRef<object>): Promise<{ collected: boolean; gcMs: number }> {
  await nextMacrotask();
  const gcMs = collectGarbage();
  await nextMacrotask();
  return { collected: ref.deref() === undefined, gcMs };
}
