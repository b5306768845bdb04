// `empowerverse serve`: the feed service on a port, until Ctrl-C / SIGTERM stops it cleanly.
import { availableParallelism } from 'node:os';
import type { Command } from '@commander-js/extra-typings';
import { loadConfig, upstreamOptions } from '../config/config.js';
import { MODEL_NAMES, type ModelName } from '../recommend/index.js';
import { FeedError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { registerSecret } from '../shared/redact.js';
import { parseDatabaseUrl } from '../store/open.js';
import { personalDataAccess } from './auth.js';
import { parseExperiments } from './experiments.js';
import { runReplicas, withoutFlags } from './replicas.js';
import { type RunningServer, startServer } from './serve.js';

/** What the start-up banner says about /users/get_all and the interaction routes. */
const PERSONAL_DATA_NOTE = {
  token: 'need the DATA_TOKEN (Flic-Token header)',
  open: 'open on this loopback address',
  refused: 'refused on this address (403) until DATA_TOKEN is set',
} as const;

/** Parses a whole number flag, naming the flag and what it accepts. */
function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new FeedError(
      'bad_request',
      `${name} must be an integer ${min}..${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/**
 * Waits for SIGINT/SIGTERM, then closes `server`; a second signal exits at once (status 130).
 * Resolves when the server is closed.
 */
export function closeOnSignal(server: RunningServer, logger?: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      process.stderr.write(`\n${signal}: stopping (Ctrl-C again forces it)\n`);
      logger?.info({ signal }, 'shutting down');
      server.close().then(
        () => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve();
        },
        (error: unknown) => reject(error),
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve the feed API (GET /feed, data routes, POST /events, /health, /ready, /metrics, /docs)',
    )
    .option('--port <n>', 'port to listen on (env PORT, default 8000)')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--db <path-or-url>', 'SQLite file or postgres:// URL (env DATABASE_URL, default data.db)')
    .option('--model <name>', `default ranking model: ${MODEL_NAMES.join(', ')}`, 'hybrid')
    .option(
      '--workers <n>',
      'model worker threads scoring requests, all reading one shared snapshot (default: 2, or 1 on one core)',
    )
    .option(
      '--sync-interval <minutes>',
      'sync from the upstream API every this many minutes (needs API_BASE_URL)',
    )
    .option('--api-base-url <url>', 'upstream API for admin/interval syncs (env API_BASE_URL)')
    .option('--resonance-algorithm <value>', 'passed as resonance_algorithm (env RESONANCE_ALGORITHM)')
    .option(
      '--batch-share <percent>',
      'percent of the time syncs and model builds run while serving is busy (default 50; 100 never pauses them)',
    )
    .option('--log-requests', 'log every request (errors are always logged)')
    .option('--wait-for-model', 'listen only once the first model is built')
    .option(
      '--experiments <json-or-file>',
      'A/B experiments: JSON text or a JSON file (env EXPERIMENTS); see the README, "A/B experiments"',
    )
    .option(
      '--replicas <n>',
      'start N replicas on ports port..port+N-1, sharing one PostgreSQL DATABASE_URL (for local trials)',
    )
    .addHelpText(
      'after',
      '\nSecrets come from the environment only: ADMIN_TOKEN enables POST/GET /admin/sync (Bearer token) ' +
        'and the dashboard at /dashboard (sign-in or Bearer); neither exists without it, FLIC_TOKEN is sent upstream, ' +
        'EVENTS_TOKEN (optional) protects POST /events (Bearer token), DATA_TOKEN (optional) protects the platform ' +
        'data routes with a Flic-Token header; without it, the routes with personal data (/users/get_all and the ' +
        'interaction routes) answer only on a loopback --host. Served pages are logged for the online metrics: ' +
        'IMPRESSION_RETENTION_DAYS (default 30) bounds how long, ATTRIBUTION_WINDOW_MINUTES (default 60) how old a ' +
        'page an event without recomm_id is attributed to.',
    )
    .action(async (flags) => {
      const config = loadConfig(process.env, {
        apiBaseUrl: flags.apiBaseUrl,
        resonanceAlgorithm: flags.resonanceAlgorithm,
        database: flags.db,
        experiments: flags.experiments,
      });
      const experiments = parseExperiments(config.experiments);
      const port = integerFlag('--port', flags.port ?? process.env.PORT, 0, 65_535) ?? 8000;
      const workers = integerFlag('--workers', flags.workers, 1, 64) ?? Math.min(2, availableParallelism());
      const batchPercent = integerFlag('--batch-share', flags.batchShare, 1, 100) ?? 50;
      const interval = flags.syncInterval === undefined ? undefined : Number(flags.syncInterval);
      if (interval !== undefined && !(interval > 0 && Number.isFinite(interval))) {
        throw new FeedError(
          'bad_request',
          `--sync-interval must be a number of minutes > 0, got ${flags.syncInterval}`,
        );
      }
      if (interval !== undefined && !config.apiBaseUrl) {
        throw new FeedError(
          'config_invalid',
          '--sync-interval needs API_BASE_URL (or --api-base-url) to sync from',
        );
      }
      if (!(MODEL_NAMES as readonly string[]).includes(flags.model)) {
        throw new FeedError(
          'bad_request',
          `--model must be one of ${MODEL_NAMES.join(', ')}, got ${flags.model}`,
        );
      }
      const replicas = integerFlag('--replicas', flags.replicas, 1, 64);
      if (replicas !== undefined) {
        if (parseDatabaseUrl(config.database).dialect !== 'postgres') {
          throw new FeedError(
            'config_invalid',
            '--replicas needs a postgres:// DATABASE_URL (or --db): replicas share one PostgreSQL database; SQLite serves from one process',
          );
        }
        if (port === 0)
          throw new FeedError('bad_request', "--replicas needs a fixed --port (the first replica's)");
        if (port + replicas - 1 > 65_535) {
          throw new FeedError('bad_request', `--replicas ${replicas} from port ${port} runs past port 65535`);
        }
        const serveArgs = withoutFlags(process.argv.slice(process.argv.indexOf('serve') + 1), [
          '--replicas',
          '--port',
        ]);
        process.stdout.write(
          `starting ${replicas} replicas on ports ${port}..${port + replicas - 1} (Ctrl-C stops them all)\n`,
        );
        process.exitCode = await runReplicas({ count: replicas, port, args: serveArgs });
        return;
      }
      const adminToken = process.env.ADMIN_TOKEN || undefined;
      const dataToken = process.env.DATA_TOKEN || undefined;
      const eventsToken = process.env.EVENTS_TOKEN || undefined;
      registerSecret(adminToken);
      registerSecret(dataToken);
      registerSecret(eventsToken);
      const logger = createLogger();
      const server = await startServer({
        database: config.database,
        host: flags.host,
        port,
        defaultModel: flags.model as ModelName,
        workers,
        batchShare: batchPercent / 100,
        logger,
        logRequests: flags.logRequests ?? false,
        waitForModel: flags.waitForModel ?? false,
        ...(adminToken ? { adminToken } : {}),
        ...(dataToken ? { dataToken } : {}),
        ...(eventsToken ? { eventsToken } : {}),
        ...(interval !== undefined ? { syncIntervalMinutes: interval } : {}),
        experiments,
        impressions: {
          retentionDays: config.impressionRetentionDays,
          attributionWindowMinutes: config.attributionWindowMinutes,
        },
        ...(config.apiBaseUrl ? { upstream: upstreamOptions(config, config.apiBaseUrl) } : {}),
      });
      process.stdout.write(
        `feed service listening on ${server.url} (model building in the background: see ${server.url}/ready)\n` +
          (experiments.length === 0
            ? ''
            : `experiments ${experiments.map((e) => `${e.name} (${e.arms.map((a) => `${a.name}=${a.model} ${a.share}`).join(', ')})`).join('; ')} · report GET /admin/experiments\n`) +
          `docs ${server.url}/docs · admin routes ${adminToken ? `enabled · dashboard ${server.url}/dashboard` : 'disabled (set ADMIN_TOKEN)'}\n` +
          `POST /events ${eventsToken ? 'needs the EVENTS_TOKEN' : 'open (set EVENTS_TOKEN to require a token)'} · ` +
          `personal-data routes ${PERSONAL_DATA_NOTE[personalDataAccess({ dataToken, boundAddresses: [flags.host] })]}\n`,
      );
      await closeOnSignal(server, logger);
    });
}
