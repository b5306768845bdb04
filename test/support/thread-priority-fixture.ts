// A worker thread that lowers its own priority and reports its niceness as /proc sees it, for
// test/fork-module.test.ts.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThreadPriority } from '../../src/shared/fork-module.js';

/** Field 19 of /proc/thread-self/stat (after the parenthesised name) is the thread's nice value. */
const niceOfThisThread = () => {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};

const before = niceOfThisThread();
const lowered = lowerThisThreadPriority(workerData as number);
parentPort!.postMessage({ before, lowered, after: niceOfThisThread() });
