// `empowerverse sync`: create the database if missing and fill or refresh it from the upstream API.
import type { Command } from '@commander-js/extra-typings';
import { Option } from '@commander-js/extra-typings';
import { loadConfig, upstreamOptions } from '../config/config.js';
import { FeedError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { openStore } from '../store/open.js';
import { summariserFromConfig } from '../sync/llm-summariser.js';
import { logProgress, terminalProgress } from '../sync/progress.js';
import { storeSyncRun, syncRunOf } from '../sync/run-record.js';
import { parseSyncTargets, runSync, type SyncReport } from '../sync/sync.js';
import { claimClusterWork } from './cluster-claim.js';
import { formatSyncReport } from './format.js';
import { interruptSignal } from './interrupt.js';

export function registerSyncCommand(program: Command): void {
  program
    .command('sync')
    .description(
      'Create the database if missing and fill or refresh it from the EmpowerVerse API (resumes an interrupted run)',
    )
    .option('--api-base-url <url>', 'upstream API base URL (env API_BASE_URL)')
    .option('--resonance-algorithm <value>', 'passed as resonance_algorithm (env RESONANCE_ALGORITHM)')
    .option('--page-size <n>', 'records per page, 1..1000 (env PAGE_SIZE, default 1000)')
    .option('--concurrency <n>', 'pages in flight per source (env SYNC_CONCURRENCY, default 4)')
    .option('--timeout-ms <n>', 'timeout per request (env REQUEST_TIMEOUT_MS, default 30000)')
    .option('--retries <n>', 'retries per request (env SYNC_RETRIES, default 5)')
    .option('--db <path-or-url>', 'SQLite file or postgres:// URL (env DATABASE_URL, default data.db)')
    .option('--only <sources>', 'comma-separated: users,posts,views,likes,inspires,ratings,summaries')
    .option('--if-empty', "the prototype's rule: sync only when the database is missing or has no users")
    .option('--json', 'print the report as JSON on stdout')
    .option('--wait', 'postgres://: wait for a sync running in the cluster instead of refusing')
    .addOption(
      new Option(
        '--summariser <kind>',
        'PostSummary writer (env SUMMARISER; llm needs LLM_BASE_URL, LLM_MODEL)',
      ).choices(['deterministic', 'llm']),
    )
    .addOption(
      new Option('--progress <mode>', 'progress display')
        .choices(['auto', 'bar', 'log', 'none'])
        .default('auto'),
    )
    .addHelpText(
      'after',
      '\nThe Flic-Token is read from the environment variable FLIC_TOKEN only, so it never appears in a process list.\n' +
        'On a postgres:// database it takes the cluster sync lock, as a serving replica does: while a replica (or\n' +
        'another sync) syncs, it refuses (exit 1) unless --wait.',
    )
    .action(async (flags) => {
      const config = loadConfig(process.env, {
        apiBaseUrl: flags.apiBaseUrl,
        resonanceAlgorithm: flags.resonanceAlgorithm,
        pageSize: flags.pageSize,
        concurrency: flags.concurrency,
        timeoutMs: flags.timeoutMs,
        retries: flags.retries,
        database: flags.db,
        summariser: flags.summariser,
      });
      if (!config.apiBaseUrl) {
        throw new FeedError(
          'config_invalid',
          'API_BASE_URL is not set: pass --api-base-url or set API_BASE_URL (for a local run, start `empowerverse simulate` and use its URL)',
        );
      }
      const only = flags.only ? parseSyncTargets(flags.only) : undefined;
      const logger = createLogger();
      const mode = flags.progress === 'auto' ? (process.stderr.isTTY ? 'bar' : 'log') : flags.progress;
      const progress = mode === 'bar' ? terminalProgress() : mode === 'log' ? logProgress(logger) : undefined;
      const lock = await claimClusterWork(config.database, 'sync', {
        wait: flags.wait ?? false,
        notify: (message) => process.stderr.write(`empowerverse: ${message}\n`),
      });
      const store = await openStore(config.database).catch(async (error: unknown) => {
        await lock?.release();
        throw error;
      });
      const interrupt = interruptSignal(logger);
      let report: SyncReport;
      const startedAt = new Date();
      try {
        report = await runSync({
          store,
          upstream: upstreamOptions(config, config.apiBaseUrl),
          only,
          ifEmpty: flags.ifEmpty ?? false,
          signal: interrupt.signal,
          logger: mode === 'log' ? logger : undefined,
          progress,
          summarise: summariserFromConfig(config),
        });
        if (report.skipped === undefined) {
          const run = syncRunOf(report, { trigger: 'cli', startedAt, aborted: interrupt.signal.aborted });
          await storeSyncRun(store, run, logger);
        }
      } finally {
        interrupt.dispose();
        await store.close();
        await lock?.release();
      }
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatSyncReport(report));
      process.exitCode = interrupt.signal.aborted ? 130 : report.ok ? 0 : 1;
    });
}
