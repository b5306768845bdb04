// `empowerverse simulate`: serve the simulated EmpowerVerse API (generated or from JSON files), or export a dataset.
import { type Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { FeedError } from '../shared/errors.js';
import { isSourceName, SOURCE_NAMES } from '../upstream/sources.js';
import { datasetCounts, type SimulatorData } from './dataset.js';
import {
  type FaultOptions,
  MALFORMED_KINDS,
  type MalformedKind,
  type MalformedPage,
  resolveFaults,
} from './faults.js';
import { loadDatasetFromFolder, writeDatasetToFolder } from './file-source.js';
import { DEFAULT_GENERATE_OPTIONS, generateDataset } from './generate.js';
import { type RunningSimulator, startSimulator } from './server.js';

/** For tests and embedding: where output goes and how a running simulator is stopped besides signals. */
export interface SimulateCommandOptions {
  /** Where the URL, counts and notices are printed (default stdout). */
  out?: NodeJS.WritableStream;
  /** Aborting it stops a running simulator, like SIGINT/SIGTERM do. */
  signal?: AbortSignal;
  /** Called once the simulator listens. */
  onListening?: (simulator: RunningSimulator) => void;
}

/** A commander parser for an integer in [min, max]. */
export function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!(Number.isSafeInteger(n) && n >= min && n <= max)) {
      throw new InvalidArgumentError(`must be an integer ${min}..${max}.`);
    }
    return n;
  };
}

/** A commander parser for a number in [min, max]. */
export function decimal(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!(Number.isFinite(n) && n >= min && n <= max))
      throw new InvalidArgumentError(`must be a number ${min}..${max}.`);
    return n;
  };
}

/**
 * Parses `source:page[:times|always][:kind]`, e.g. `views:3`, `posts:2:always`, `likes:1:2:wrong-key`.
 */
export function parseMalformedFlag(value: string): MalformedPage {
  const [source, pageText, ...rest] = value.split(':');
  const usage = `expected source:page[:times|always][:kind] with source one of ${SOURCE_NAMES.join(', ')} and kind one of ${MALFORMED_KINDS.join(', ')}`;
  if (!source || !isSourceName(source))
    throw new InvalidArgumentError(`unknown source in "${value}": ${usage}.`);
  const page = /^\d+$/.test(pageText ?? '') ? Number(pageText) : 0;
  if (!(page >= 1)) throw new InvalidArgumentError(`page must be an integer >= 1 in "${value}": ${usage}.`);
  const out: MalformedPage = { source, page };
  for (const part of rest) {
    if (part === 'always') out.times = 'always';
    else if (/^\d+$/.test(part) && Number(part) >= 1) out.times = Number(part);
    else if ((MALFORMED_KINDS as readonly string[]).includes(part)) out.kind = part as MalformedKind;
    else throw new InvalidArgumentError(`cannot read "${part}" in "${value}": ${usage}.`);
  }
  return out;
}

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([source, n]) => `${source} ${n}`)
    .join(', ');
}

function describeFaults(faults: FaultOptions): string {
  const on = Object.entries(faults).filter(([, v]) =>
    Array.isArray(v) ? v.length > 0 : v !== undefined && v !== 0,
  );
  if (on.length === 0) return 'none';
  return on.map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ');
}

/** Adds `simulate` to the program. */
export function registerSimulateCommand(program: Command, options: SimulateCommandOptions = {}): void {
  const d = DEFAULT_GENERATE_OPTIONS;
  program
    .command('simulate')
    .description('Serve a simulated EmpowerVerse API on 127.0.0.1 (generated data or a folder of JSON files)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', integer(0, 65535), 8001)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--seed <n>', `seed for generated data (default ${d.seed})`, integer(-(2 ** 31), 2 ** 31 - 1))
    .option('--users <n>', `users to generate (default ${d.users})`, integer(0, 10_000_000))
    .option('--posts <n>', `posts to generate (default ${d.posts})`, integer(0, 1_000_000))
    .option(
      '--interactions <n>',
      `views+likes+inspires+ratings to generate (default ${d.interactions})`,
      integer(0, 100_000_000),
    )
    .option('--start-date <YYYY-MM-DD>', `first day of the simulated period (default ${d.startDate})`)
    .option('--days <n>', `length of the simulated period in days (default ${d.days})`, integer(1, 3650))
    .option(
      '--from-dir <folder>',
      'serve users.json, posts.json, views.json, … from this folder instead of generating',
    )
    .option('--export-dir <folder>', 'write the dataset as JSON files into this folder and exit')
    .option('--token <token>', 'Flic-Token to require (default: env FLIC_TOKEN, else "dev-token")')
    .option('--error-rate <share>', 'share of requests answered 500', decimal(0, 1))
    .option('--rate-limit-rate <share>', 'share of requests answered 429', decimal(0, 1))
    .option('--retry-after <seconds>', 'Retry-After sent with 429 (default 1)', integer(0, 3600))
    .option('--reset-rate <share>', 'share of requests whose connection is dropped', decimal(0, 1))
    .option('--slow-rate <share>', 'share of requests answered late', decimal(0, 1))
    .option('--slow-ms <ms>', 'delay of a slow answer (default 2000)', integer(0, 600_000))
    .addOption(
      new Option(
        '--malformed <source:page[:times|always][:kind]>',
        'serve this page malformed (repeatable), e.g. views:3 or posts:2:always:wrong-key',
      )
        .argParser((value: string, previous: MalformedPage[]) => [...previous, parseMalformedFlag(value)])
        .default([] as MalformedPage[], 'none'),
    )
    .option(
      '--invalid-rate <share>',
      'share of records served in a form that fails the schema',
      decimal(0, 1),
    )
    .option(
      '--duplicate-rate <share>',
      'share of pages that repeat the end of the previous page',
      decimal(0, 1),
    )
    .addHelpText(
      'after',
      '\nPrefer FLIC_TOKEN in the environment to --token: command lines show up in process lists.',
    )
    .action(async (flags) => {
      const out = options.out ?? process.stdout;
      const generateFlags = {
        seed: flags.seed,
        users: flags.users,
        posts: flags.posts,
        interactions: flags.interactions,
      };
      if (flags.fromDir && Object.values(generateFlags).some((v) => v !== undefined)) {
        throw new FeedError(
          'bad_request',
          '--from-dir serves the files as they are: drop --seed/--users/--posts/--interactions',
        );
      }
      const faults: FaultOptions = {
        errorRate: flags.errorRate,
        rateLimitRate: flags.rateLimitRate,
        retryAfterSeconds: flags.retryAfter,
        resetRate: flags.resetRate,
        slowRate: flags.slowRate,
        slowMs: flags.slowMs,
        malformedPages: flags.malformed,
        invalidRecordRate: flags.invalidRate,
        duplicateRate: flags.duplicateRate,
      };
      resolveFaults(faults); // fail on a bad combination before generating anything

      const started = performance.now();
      const data: SimulatorData = flags.fromDir
        ? await loadDatasetFromFolder(flags.fromDir)
        : generateDataset({ ...generateFlags, startDate: flags.startDate, days: flags.days });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      out.write(`dataset: ${data.label} (${seconds}s)\n  ${describeCounts(datasetCounts(data))}\n`);

      if (flags.exportDir) {
        const written = await writeDatasetToFolder(data, flags.exportDir);
        out.write(`wrote ${describeCounts(written)} to ${flags.exportDir}\n`);
        return;
      }

      const token = flags.token ?? process.env.FLIC_TOKEN ?? 'dev-token';
      const simulator = await startSimulator({ data, host: flags.host, port: flags.port, token, faults });
      out.write(
        `EmpowerVerse simulator listening on ${simulator.url}\n` +
          `  faults: ${describeFaults(faults)}\n` +
          `  users and posts need the Flic-Token header (${flags.token ? 'from --token' : process.env.FLIC_TOKEN ? 'from FLIC_TOKEN' : 'the default "dev-token"'})\n` +
          `  try: API_BASE_URL=${simulator.url} FLIC_TOKEN=${flags.token || process.env.FLIC_TOKEN ? '<the token>' : 'dev-token'} empowerverse sync\n`,
      );
      options.onListening?.(simulator);

      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          options.signal?.removeEventListener('abort', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        if (options.signal?.aborted) stop();
        else options.signal?.addEventListener('abort', stop);
      });
      await simulator.close();
      const stats = simulator.stats();
      out.write(`simulator stopped after ${stats.requests} requests\n`);
    });
}
