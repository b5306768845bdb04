// `empowerverse build`: fits a model snapshot from the database and stores it there as an artifact, so
// `serve` (and every replica) starts from it instead of building.
import { existsSync } from 'node:fs';
import type { Command } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config/config.js';
import { MODEL_NAMES } from '../recommend/index.js';
import { buildAndStoreSnapshot, configurationLine } from '../server/snapshot-build.js';
import { FeedError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { openStore, parseDatabaseUrl } from '../store/open.js';
import { claimClusterWork } from './cluster-claim.js';

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Step progress: a bar on a terminal, one log line per step otherwise. */
function stepProgress(): { onStep: (step: string, index: number, steps: number) => void; stop(): void } {
  if (!process.stderr.isTTY) {
    const logger = createLogger();
    return { onStep: (step, index, steps) => logger.info({ step, index, steps }, 'build step'), stop() {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' build |{bar}| {value}/{total} steps | {step} | {duration}s',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let fitSteps = 0;
  return {
    onStep(step, index, steps) {
      // Steps: load, then the fit's base and models, then encode and store.
      if (step === 'base') fitSteps = steps;
      const total = fitSteps + 3;
      const value =
        step === 'load' ? 0 : step === 'encode' ? fitSteps + 1 : step === 'store' ? fitSteps + 2 : index + 1;
      if (!started) {
        bar.start(total, value, { step });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(value, { step });
      }
    },
    stop() {
      if (started) {
        bar.update(bar.getTotal(), { step: 'done' });
        bar.stop();
        started = false;
      }
    },
  };
}

export function registerBuildCommand(program: Command): void {
  program
    .command('build')
    .description('Build a model snapshot from the database and store it there (serve starts from the newest)')
    .option('--db <path-or-url>', 'SQLite file or postgres:// URL (env DATABASE_URL, default data.db)')
    .option(
      '--models <list>',
      `models to fit, comma-separated (default: the standard set); accepted: ${MODEL_NAMES.join(', ')}`,
    )
    .option('--keep <n>', 'stored snapshots to keep (older ones are removed)', '3')
    .option('--json', 'print the result as JSON')
    .option('--wait', 'postgres://: wait for a build running in the cluster instead of refusing')
    .addHelpText(
      'after',
      '\nOn a postgres:// database it takes the cluster build lock, as a serving replica does: while a replica (or\nanother build) builds, it refuses (exit 1) unless --wait; replicas load the stored snapshot when notified.',
    )
    .action(async (flags) => {
      const config = loadConfig(process.env, { database: flags.db });
      const target = parseDatabaseUrl(config.database);
      if (target.dialect === 'sqlite' && (target.path === ':memory:' || !existsSync(target.path))) {
        throw new FeedError('not_found', `no database at ${target.path}: run \`empowerverse sync\` first`);
      }
      const keep = /^\d+$/.test(flags.keep) ? Number(flags.keep) : Number.NaN;
      if (!Number.isSafeInteger(keep) || keep < 1 || keep > 100) {
        throw new FeedError(
          'bad_request',
          `--keep must be an integer 1..100, got ${JSON.stringify(flags.keep)}`,
        );
      }
      const models = flags.models
        ?.split(',')
        .map((m) => m.trim())
        .filter(Boolean);
      const lock = await claimClusterWork(config.database, 'build', {
        wait: flags.wait ?? false,
        notify: (message) => process.stderr.write(`empowerverse: ${message}\n`),
      });
      const store = await openStore(config.database).catch(async (error: unknown) => {
        await lock?.release();
        throw error;
      });
      const progress = stepProgress();
      const started = performance.now();
      try {
        const built = await buildAndStoreSnapshot(store, {
          build: models ? { models } : {},
          keep,
          onStep: progress.onStep,
        });
        progress.stop();
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ ...built, seconds }, null, 2)}\n`);
        } else {
          const m = built.meta;
          process.stdout.write(
            `snapshot ${built.id} stored: ${mib(built.byteSize)}, built in ${m.buildSeconds.toFixed(1)} s ` +
              `(data read in ${m.loadSeconds.toFixed(1)} s, ${seconds.toFixed(1)} s in all)\n` +
              `covers ${m.users} users, ${m.posts} posts, ${m.interactions} interactions; models ${m.models.join(', ')}\n` +
              `configuration: ${configurationLine(m.tuned ?? null)}\n` +
              m.notes.map((n) => `note: ${n}\n`).join(''),
          );
        }
      } finally {
        progress.stop();
        await store.close();
        await lock?.release();
      }
    });
}
