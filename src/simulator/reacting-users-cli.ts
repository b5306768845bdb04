// `empowerverse simulate-users`: generated users read a running feed service's pages and react from their
// hidden tastes (see reacting-users.ts), with progress and a summary.
import type { Command } from '@commander-js/extra-typings';
import { decimal, integer } from './cli.js';
import { DEFAULT_GENERATE_OPTIONS, generateDataset } from './generate.js';
import {
  checkLoopbackUrl,
  DEFAULT_CLICK_MODEL,
  hiddenTastesOf,
  type ReactingUsersSummary,
  runReactingUsers,
} from './reacting-users.js';

export interface SimulateUsersCommandOptions {
  /** Where progress and the summary are printed (default stdout). */
  out?: NodeJS.WritableStream;
}

function describeSummary(s: Readonly<ReactingUsersSummary>): string {
  const arms = Object.entries(s.likesByArm)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([arm, n]) => `${arm} ${n}`)
    .join(', ');
  return (
    `simulated ${s.sessions} sessions in ${s.seconds.toFixed(1)}s: ${s.pages} pages, ${s.shown} items shown, ` +
    `${s.views} views, ${s.likes} likes\n` +
    `  likes by arm: ${arms || 'none'}\n` +
    (s.pages < s.sessions
      ? `  note: ${s.sessions - s.pages} sessions got an empty page: is the service synced from a simulator with these data flags?\n`
      : '') +
    (s.stopped === null
      ? ''
      : `  stopped early (${s.stopped === 'time' ? 'the --max-seconds bound' : 'interrupted'})\n`)
  );
}

/** Adds `simulate-users` to the program. */
export function registerSimulateUsersCommand(
  program: Command,
  options: SimulateUsersCommandOptions = {},
): void {
  const d = DEFAULT_GENERATE_OPTIONS;
  const c = DEFAULT_CLICK_MODEL;
  program
    .command('simulate-users')
    .description(
      "Simulated users read a running feed service's pages and view/like posts from their hidden tastes",
    )
    .requiredOption('--feed-url <url>', 'the feed service, on 127.0.0.1 (e.g. http://127.0.0.1:8000)')
    .option('--sessions <n>', 'sessions to run, one feed page each', integer(0, 10_000_000), 200)
    .option(
      '--reaction-seed <n>',
      'seed of the users picked and their draws',
      integer(-(2 ** 31), 2 ** 31 - 1),
      1,
    )
    .option('--page-size <n>', 'posts per page', integer(1, 100), 10)
    .option('--concurrency <n>', 'sessions in flight at once', integer(1, 16), 2)
    .option('--max-seconds <n>', 'start no session after this many seconds', integer(1, 86_400), 300)
    .option(
      '--position-bias <eta>',
      `position p is examined with probability p^-eta (default ${c.positionBias})`,
      decimal(0, 10),
    )
    .option(
      '--like-taste <share>',
      `like probability added by a full taste match (default ${c.likeTaste})`,
      decimal(0, 1),
    )
    .option('--seed <n>', `seed of the generated data (default ${d.seed})`, integer(-(2 ** 31), 2 ** 31 - 1))
    .option('--users <n>', `users generated (default ${d.users})`, integer(0, 10_000_000))
    .option('--posts <n>', `posts generated (default ${d.posts})`, integer(0, 1_000_000))
    .option(
      '--interactions <n>',
      `interactions generated (default ${d.interactions})`,
      integer(0, 100_000_000),
    )
    .option('--start-date <YYYY-MM-DD>', `first day of the simulated period (default ${d.startDate})`)
    .option('--days <n>', `length of the simulated period in days (default ${d.days})`, integer(1, 3650))
    .addHelpText(
      'after',
      '\nPass the data flags `simulate` was started with (the service synced from it): the users react from ' +
        "that dataset's hidden tastes. EVENTS_TOKEN in the environment is sent with POST /events.",
    )
    .action(async (flags) => {
      const out = options.out ?? process.stdout;
      checkLoopbackUrl(flags.feedUrl); // before generating a dataset for nothing
      const data = generateDataset({
        seed: flags.seed,
        users: flags.users,
        posts: flags.posts,
        interactions: flags.interactions,
        startDate: flags.startDate,
        days: flags.days,
      });
      out.write(`dataset: ${data.label}\nreading ${flags.sessions} feed pages from ${flags.feedUrl}\n`);
      const every = Math.max(1, Math.floor(flags.sessions / 10));
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const summary = await runReactingUsers({
          feedUrl: flags.feedUrl,
          tastes: hiddenTastesOf(data),
          sessions: flags.sessions,
          seed: flags.reactionSeed,
          pageSize: flags.pageSize,
          concurrency: flags.concurrency,
          maxSeconds: flags.maxSeconds,
          clickModel: { positionBias: flags.positionBias, likeTaste: flags.likeTaste },
          signal: abort.signal,
          ...(process.env.EVENTS_TOKEN ? { eventsToken: process.env.EVENTS_TOKEN } : {}),
          onProgress: (s) => {
            if (s.sessions % every === 0 && s.sessions < flags.sessions)
              out.write(`  ${s.sessions}/${flags.sessions} sessions · ${s.views} views · ${s.likes} likes\n`);
          },
        });
        out.write(describeSummary(summary));
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
