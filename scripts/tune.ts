// Tunes the recommender's defaults on the validation split of a MovieLens folder and prints the best
// settings (to be written into src/recommend/defaults.ts). The test split is scored only with
// --report-test, after the search is over, and never feeds back into it.
//
//   npx tsx scripts/tune.ts --movielens ../shared/datasets/ml-100k [--report-test] [--json]
import { Command } from '@commander-js/extra-typings';
import { loadMovieLens } from '../src/eval/movielens.js';
import { snapshotRecommender } from '../src/eval/recommender.js';
import { formatReport } from '../src/eval/report.js';
import { evaluate } from '../src/eval/run.js';
import { formatTuneResult, tune } from '../src/eval/tune.js';
import { describeError } from '../src/shared/errors.js';

const program = new Command()
  .name('tune')
  .description('Tune the recommender defaults on the validation split of a MovieLens folder')
  .requiredOption('--movielens <dir>', 'MovieLens-100k folder (u.data, u.item, u.genre)')
  .option('--report-test', 'after tuning, evaluate every model with the tuned settings on the test split')
  .option('--quiet', 'no per-trial progress lines on stderr')
  .option('--json', 'print the result as JSON');

try {
  const flags = program.parse(process.argv).opts();
  const data = loadMovieLens(flags.movielens);
  const result = tune(data, {
    positives: 'movielens',
    log: flags.quiet ? () => {} : (line) => process.stderr.write(`${line}\n`),
  });
  const infinity = (_k: string, v: unknown) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v);
  if (flags.json) process.stdout.write(`${JSON.stringify(result, infinity, 2)}\n`);
  else process.stdout.write(formatTuneResult(result));
  if (flags.reportTest) {
    const report = evaluate(data, {
      positives: 'movielens',
      buildRecommender: snapshotRecommender({ build: result.best }),
    });
    process.stdout.write(`\ntest split with the tuned settings:\n${formatReport(report)}`);
  }
} catch (error) {
  process.stderr.write(`tune: ${describeError(error)}\n`);
  process.exitCode = 1;
}
