// `empowerverse tune`: tunes the model and blend parameters on this database's own data (the validation
// split carved from the training part, never the test part) within a time budget, prints the table
// against the defaults and stores the winner; the next build (and serve) uses it.
import { existsSync } from 'node:fs';
import type { Command } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config/config.js';
import { formatTuneResult, type Trial, tune } from '../eval/tune.js';
import { syncWatermark } from '../server/snapshot-build.js';
import { FeedError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { openStore, parseDatabaseUrl } from '../store/open.js';
import { loadTrainingDataFromStore } from '../store/training-data.js';
import { saveTunedConfig } from '../store/tuned-configs.js';

/** Default search budget, in seconds. */
export const DEFAULT_TUNE_BUDGET_SECONDS = 300;

const infinity = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);

/** Trial progress: a bar over the budget on a terminal, one log line per trial otherwise. */
function trialProgress(budgetSeconds: number): {
  onTrial: (trial: Trial, count: number, best: number) => void;
  stop(): void;
} {
  const started = performance.now();
  const elapsed = () => Math.min(budgetSeconds, Math.round((performance.now() - started) / 1000));
  if (!process.stderr.isTTY) {
    const logger = createLogger();
    return {
      onTrial: (trial, count, best) =>
        logger.info(
          { trial: count, stage: trial.stage, ndcg20: trial.ndcg20, best, elapsedSeconds: elapsed() },
          'tune trial',
        ),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' tune |{bar}| {value}/{total} s | {trials} trials | best NDCG@20 {best} | {stage}',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(budgetSeconds, 0, { trials: 0, best: '-', stage: 'baseline' });
  let running = true;
  return {
    onTrial(trial, count, best) {
      bar.update(elapsed(), { trials: count, best: best.toFixed(4), stage: trial.stage });
    },
    stop() {
      if (!running) return;
      running = false;
      bar.stop();
    },
  };
}

export function registerTuneCommand(program: Command): void {
  program
    .command('tune')
    .description(
      "Tune model and blend parameters on this database's validation split and store the winner (builds use it)",
    )
    .option('--db <path-or-url>', 'SQLite file or postgres:// URL (env DATABASE_URL, default data.db)')
    .option('--budget <seconds>', 'time the search may take', String(DEFAULT_TUNE_BUDGET_SECONDS))
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nThe search stops when the budget is spent and keeps the best settings found so far; measuring the\ndefaults and the final table comes on top. It never stores settings worse than the defaults on validation.',
    )
    .action(async (flags) => {
      const config = loadConfig(process.env, { database: flags.db });
      const target = parseDatabaseUrl(config.database);
      if (target.dialect === 'sqlite' && (target.path === ':memory:' || !existsSync(target.path))) {
        throw new FeedError('not_found', `no database at ${target.path}: run \`empowerverse sync\` first`);
      }
      const budgetSeconds = /^\d+(\.\d+)?$/.test(flags.budget) ? Number(flags.budget) : Number.NaN;
      if (!(budgetSeconds > 0) || budgetSeconds > 7 * 24 * 3600) {
        throw new FeedError(
          'bad_request',
          `--budget must be a number of seconds > 0 (at most a week), got ${JSON.stringify(flags.budget)}`,
        );
      }
      const store = await openStore(config.database);
      try {
        const watermark = await syncWatermark(store);
        const data = await loadTrainingDataFromStore(store);
        if (data.interactions.length === 0) {
          throw new FeedError(
            'not_found',
            'the database holds no interactions: run `empowerverse sync` first',
          );
        }
        const progress = trialProgress(budgetSeconds);
        let result: ReturnType<typeof tune>;
        try {
          result = tune(data, { budgetSeconds, onTrial: progress.onTrial });
        } finally {
          progress.stop();
        }
        const id = await saveTunedConfig(store.db, {
          options: result.best,
          baseline: result.baseline,
          tuned: result.tuned,
          trials: result.trials.length,
          budgetSeconds,
          watermark,
        });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ id, ...result }, infinity, 2)}\n`);
        } else {
          process.stdout.write(
            `${formatTuneResult(result)}${result.trials.length} trials within a budget of ${budgetSeconds} s\n` +
              `stored as tuning ${id}: the next \`empowerverse build\` (and serve) uses it\n`,
          );
        }
      } finally {
        await store.close();
      }
    });
}
