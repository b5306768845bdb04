// `empowerverse eval`: the offline evaluation on a MovieLens folder or the current database.
import type { Command } from '@commander-js/extra-typings';
import { loadConfig } from '../config/config.js';
import type { TrainingData } from '../recommend/types.js';
import { FeedError } from '../shared/errors.js';
import { loadMovieLens } from './movielens.js';
import { snapshotRecommender } from './recommender.js';
import { formatReport } from './report.js';
import type { BuildRecommender, EvalReport } from './run.js';
import { evaluate } from './run.js';
import type { PositivesRule } from './split.js';
import { POSITIVES_RULES } from './split.js';

export interface EvalCommandDeps {
  /** Reads the store at `url` as TrainingData (wired by the CLI; without it `--db` is refused). */
  loadFromStore?: (url: string) => Promise<TrainingData>;
  /** The recommender under evaluation; default: the recommend module's snapshot (tests inject a toy). */
  buildRecommender?: BuildRecommender;
  /** Where the report goes; default stdout. */
  write?: (text: string) => void;
  /**
   * Keeps a `--db` evaluation's report in that database (the dashboard shows the latest); resolves with
   * its id. Unset, nothing is stored.
   */
  saveReport?: (url: string, report: EvalReport, options: EvalRunOptions) => Promise<number>;
}

/** The flags an evaluation ran with, stored beside its report. */
export interface EvalRunOptions {
  split: 'test' | 'validation';
  positives: PositivesRule;
  coldThreshold: number;
  composed: boolean;
  models: string[] | null;
}

function parseCount(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new FeedError(
      'bad_request',
      `${flag} must be a non-negative integer, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function parseModels(value: string): string[] {
  const models = [...new Set(value.split(',').map((m) => m.trim()))].filter((m) => m !== '');
  if (models.length === 0)
    throw new FeedError('bad_request', '--models must name at least one model, got ""');
  return models;
}

/**
 * Adds `eval` to the program.
 *
 * @example registerEvalCommand(program, { loadFromStore: (url) => loadTrainingDataFromStore(url) })
 */
export function registerEvalCommand(program: Command, deps: EvalCommandDeps = {}): void {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  program
    .command('eval')
    .description(
      'Offline evaluation of every model: per user, the chronologically last 20% of events held out; ' +
        'Recall@10/20, NDCG@10/20 and coverage@20 over all and over cold users',
    )
    .option('--movielens <dir>', 'evaluate on a MovieLens-100k folder (u.data, u.item, u.genre)')
    .option(
      '--db <path-or-url>',
      'evaluate on this SQLite file or postgres:// URL (env DATABASE_URL, default data.db)',
    )
    .option('--models <list>', 'comma-separated models to evaluate (default: all)')
    .option(
      '--positives <rule>',
      `held-out positives: ${POSITIVES_RULES.join(' | ')} (default by data source)`,
    )
    .option('--cold-threshold <n>', 'cold users have at most this many training events', '20')
    .option('--validation', 'evaluate on the validation split carved from the training part (for tuning)')
    .option(
      '--composed',
      'measure the served feed (category/creator run bounds, fresh slots) instead of raw rankings',
    )
    .option('--json', 'print the report as JSON')
    .action(async (flags) => {
      if (flags.movielens !== undefined && flags.db !== undefined) {
        throw new FeedError('bad_request', 'eval takes --movielens <dir> or --db <url>, not both');
      }
      const coldThreshold = parseCount('--cold-threshold', flags.coldThreshold);
      if (flags.positives !== undefined && !POSITIVES_RULES.includes(flags.positives as PositivesRule)) {
        throw new FeedError(
          'bad_request',
          `--positives must be one of ${POSITIVES_RULES.join(', ')}, got ${JSON.stringify(flags.positives)}`,
        );
      }
      let data: TrainingData;
      let positives: PositivesRule;
      let storeUrl: string | null = null;
      if (flags.movielens !== undefined) {
        data = loadMovieLens(flags.movielens);
        positives = (flags.positives as PositivesRule | undefined) ?? 'movielens';
      } else {
        if (!deps.loadFromStore) {
          throw new FeedError(
            'config_invalid',
            'eval --db is not wired to a store here; use --movielens <dir>',
          );
        }
        const url = loadConfig(process.env, flags.db === undefined ? {} : { database: flags.db }).database;
        data = await deps.loadFromStore(url);
        storeUrl = url;
        positives = (flags.positives as PositivesRule | undefined) ?? 'empowerverse';
      }
      const options: EvalRunOptions = {
        split: flags.validation ? 'validation' : 'test',
        positives,
        coldThreshold,
        composed: flags.composed === true,
        models: flags.models !== undefined ? parseModels(flags.models) : null,
      };
      const report = evaluate(data, {
        positives,
        coldThreshold,
        split: options.split,
        ...(options.models !== null ? { models: options.models } : {}),
        buildRecommender: deps.buildRecommender ?? snapshotRecommender({ composed: options.composed }),
      });
      write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      if (storeUrl !== null && deps.saveReport) {
        const id = await deps.saveReport(storeUrl, report, options);
        // stderr: stdout stays the report alone (--json output is parsed).
        process.stderr.write(`eval run ${id} stored in the database (the dashboard's plots page shows it)\n`);
      }
    });
}
