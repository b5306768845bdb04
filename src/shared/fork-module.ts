// Starts a sibling module in a child process with an IPC channel, at a low CPU priority (or in a worker
// thread): the way heavy
// batch work (syncs, model builds) stays off the serving process's event loop and out of its CPU share.
// Works from TypeScript source (the child runs through tsx's loader) and from the compiled `dist/`.
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';

/**
 * Niceness for batch work beside a serving process (model builds, syncs). CFS gives a nice-5 process
 * about a third of a serving thread's CPU weight: users keep most of the machine while a saturated
 * server still finishes a build in a minute or two (at 19 it gets ~1.5 % and can starve for many
 * minutes: seen in bench:feed:users).
 */
export const BATCH_NICE = 5;

export interface ForkModuleOptions {
  /**
   * Niceness of the child, -20 (highest priority) .. 19 (lowest). Default 19. Raising priority above the
   * parent's needs privileges; when the OS refuses (EACCES/EPERM) or the child is already gone (ESRCH),
   * the child keeps its inherited priority and nothing is logged.
   */
  nice?: number;
  /** The child's environment. Default `process.env`: pass a scrubbed copy to keep secrets out of it. */
  env?: NodeJS.ProcessEnv;
  /** How IPC messages are encoded: `advanced` (structured clone: typed arrays, Map, Date…) or `json`. Default `advanced`. */
  serialization?: 'advanced' | 'json';
  /** Extra Node flags for the child, e.g. `['--max-old-space-size=4096']`; the parent's are not inherited. */
  execArgv?: readonly string[];
}

const tsxEntries = new Map<string, string>();

/**
 * The absolute file URL of a tsx entry point (`.` is the `--import` loader, `./esm/api` the registration
 * API), resolved from this package's tsx so it is found whatever the working directory.
 */
function tsxEntryUrl(subpath: '.' | './esm/api', fallback: string): string {
  let url = tsxEntries.get(subpath);
  if (url === undefined) {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> };
    const target = pkg.exports?.[subpath];
    const entry =
      typeof target === 'string'
        ? target
        : ((target as { import?: { default?: string } } | undefined)?.import?.default ?? fallback);
    url = pathToFileURL(join(dirname(manifest), entry)).href;
    tsxEntries.set(subpath, url);
  }
  return url;
}

function isTypeScript(url: URL): boolean {
  return /\.[cm]?ts$/.test(url.pathname);
}

/**
 * The URL of the module `baseName` next to the calling module: `./<baseName>.ts` when the caller runs
 * from TypeScript source, `./<baseName>.js` when it runs compiled.
 * @example
 * const entry = siblingModuleUrl(import.meta.url, 'sync-child'); // …/server/sync-child.ts or .js
 */
export function siblingModuleUrl(importMetaUrl: string, baseName: string): URL {
  const fromSource = isTypeScript(new URL(importMetaUrl));
  return new URL(`./${baseName}${fromSource ? '.ts' : '.js'}`, importMetaUrl);
}

/**
 * Forks `entry` (a `file:` URL) as a Node child process with an IPC channel (`child.send`, and
 * `process.send` / `process.on('message')` in the child), then lowers its CPU priority to `nice`.
 *
 * A `.ts` entry runs through tsx (`--import <absolute tsx loader URL>`), a `.js` entry on plain node; the
 * parent's `execArgv` is not inherited either way (pass `execArgv` for flags the child needs). The child shares the parent's stdout and stderr, its
 * stdin is closed, and it inherits the parent's working directory. Arguments and the environment are
 * visible to other local users (`ps`, `/proc`): send secrets over IPC instead.
 *
 * The caller owns the child: listen for `exit`/`error`, and end it (`child.kill()`) when done.
 * @example
 * const child = forkModule(siblingModuleUrl(import.meta.url, 'sync-child'), { nice: 19 });
 * child.on('message', (message) => console.log(message));
 * child.on('exit', (code, signal) => console.log('child ended', code ?? signal));
 * child.send({ type: 'start' });
 */
export function forkModule(entry: URL, options: ForkModuleOptions = {}): ChildProcess {
  const { nice = 19, env = process.env, serialization = 'advanced', execArgv = [] } = options;
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) {
    throw new RangeError(`nice must be an integer -20..19, got ${nice}`);
  }
  if (entry.protocol !== 'file:') {
    throw new TypeError(`forkModule needs a file: URL, got ${entry.protocol}`);
  }
  const child = fork(fileURLToPath(entry), [], {
    execArgv: [
      ...(isTypeScript(entry) ? ['--import', tsxEntryUrl('.', './dist/loader.mjs')] : []),
      ...execArgv,
    ],
    env,
    serialization,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // Set right after spawn, before the child has started its own threads, so they inherit it (Linux
  // niceness is per thread).
  if (child.pid !== undefined) {
    try {
      setPriority(child.pid, nice);
    } catch (error) {
      const code = (error as { info?: { code?: string } }).info?.code;
      if (code !== 'EACCES' && code !== 'EPERM' && code !== 'ESRCH') {
        child.kill('SIGKILL');
        throw error;
      }
    }
  }
  return child;
}

/**
 * Starts `entry` (a sibling module's `file:` URL) in a worker thread: a `.js` entry as it is, a `.ts`
 * entry through tsx's registration API (worker threads do not inherit the loader).
 * @example const worker = startModuleThread(siblingModuleUrl(import.meta.url, 'model-worker'));
 */
export function startModuleThread(entry: URL, workerData?: unknown, resourceLimits?: ResourceLimits): Worker {
  const options = {
    ...(workerData === undefined ? {} : { workerData }),
    ...(resourceLimits === undefined ? {} : { resourceLimits }),
  };
  if (!isTypeScript(entry)) return new Worker(entry, options);
  const api = tsxEntryUrl('./esm/api', './dist/esm/api/index.mjs');
  const code = `import { register } from ${JSON.stringify(api)}; register();\nawait import(${JSON.stringify(entry.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), options);
}

/**
 * Lowers the CPU priority of the calling thread only (on Linux each thread has its own niceness; a
 * worker thread is one task of the process, named by `/proc/thread-self`). What a helper thread inside
 * the serving process (the snapshot loader's reads and SHA-256 over hundreds of MiB) calls so the HTTP
 * thread keeps its share of the cores. Returns false where it cannot (another OS, or refused).
 * @example lowerThisThreadPriority(BATCH_NICE);
 */
export function lowerThisThreadPriority(nice: number): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
