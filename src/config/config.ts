// One schema for configuration from the environment and CLI flags: validated once, frozen, documented.
import { z } from 'zod';
import { FeedError } from '../shared/errors.js';
import { registerSecret } from '../shared/redact.js';
import type { UpstreamClientOptions } from '../upstream/client-options.js';

/** An integer given as a number (flags parsed upstream) or as a decimal string (environment). */
const integer = (name: string, min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value),
    z
      .number({ message: `${name} must be an integer ${min}..${max}` })
      .int({ message: `${name} must be an integer ${min}..${max}` })
      .min(min, { message: `${name} must be ${min}..${max}` })
      .max(max, { message: `${name} must be ${min}..${max}` }),
  );

const httpUrl = (name: string) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'http:' || url.protocol === 'https:';
      } catch {
        return false;
      }
    }, `${name} must be an http(s) URL such as http://127.0.0.1:8001`);

export const ConfigSchema = z.object({
  /** Base URL of the upstream EmpowerVerse API (`API_BASE_URL`). Required by sync. */
  apiBaseUrl: httpUrl('API_BASE_URL').optional(),
  /** Secret sent as the `Flic-Token` header to users and posts endpoints (`FLIC_TOKEN`). Never logged. */
  flicToken: z.string().min(1).optional(),
  /** Opaque string passed as `resonance_algorithm` on interaction endpoints (`RESONANCE_ALGORITHM`). */
  resonanceAlgorithm: z.string().optional(),
  /** Records per upstream page, 1..1000 (`PAGE_SIZE`). */
  pageSize: integer('PAGE_SIZE', 1, 1000).default(1000),
  /** Upstream pages in flight per source (`SYNC_CONCURRENCY`). */
  concurrency: integer('SYNC_CONCURRENCY', 1, 32).default(4),
  /** Timeout of one upstream request in milliseconds (`REQUEST_TIMEOUT_MS`). */
  timeoutMs: integer('REQUEST_TIMEOUT_MS', 100, 600_000).default(30_000),
  /** Retries of one upstream request after the first attempt (`SYNC_RETRIES`). */
  retries: integer('SYNC_RETRIES', 0, 20).default(5),
  /** Database: a SQLite file path (default `data.db`) or a `postgres://` URL (`DATABASE_URL`). */
  database: z.string().trim().min(1, 'DATABASE_URL must not be empty').default('data.db'),
  /** How PostSummary rows are written: `deterministic` (default, offline) or `llm` (`SUMMARISER`). */
  summariser: z
    .enum(['deterministic', 'llm'], { message: 'SUMMARISER must be deterministic or llm' })
    .default('deterministic'),
  /** OpenAI-compatible base URL for the LLM summariser, e.g. http://127.0.0.1:9000/v1 (`LLM_BASE_URL`). */
  llmBaseUrl: httpUrl('LLM_BASE_URL').optional(),
  /** API key of the LLM endpoint (`LLM_API_KEY`). Never logged. */
  llmApiKey: z.string().min(1).optional(),
  /** Model name for the LLM summariser (`LLM_MODEL`). */
  llmModel: z.string().min(1).optional(),
  /** Days served pages (impressions) are kept for the online metrics (`IMPRESSION_RETENTION_DAYS`). */
  impressionRetentionDays: integer('IMPRESSION_RETENTION_DAYS', 1, 3650).default(30),
  /**
   * An event without `recomm_id` is attributed to the newest page showing its post to its user at most this
   * many minutes old (`ATTRIBUTION_WINDOW_MINUTES`).
   */
  attributionWindowMinutes: integer('ATTRIBUTION_WINDOW_MINUTES', 1, 10_080).default(60),
  /** A/B experiments of `serve`: JSON text or the path of a JSON file (`EXPERIMENTS`; see server/experiments.ts). */
  experiments: z.string().optional(),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Maps environment variable names to config fields. */
const ENVIRONMENT: Record<string, keyof ConfigInput> = {
  API_BASE_URL: 'apiBaseUrl',
  FLIC_TOKEN: 'flicToken',
  RESONANCE_ALGORITHM: 'resonanceAlgorithm',
  PAGE_SIZE: 'pageSize',
  SYNC_CONCURRENCY: 'concurrency',
  REQUEST_TIMEOUT_MS: 'timeoutMs',
  SYNC_RETRIES: 'retries',
  DATABASE_URL: 'database',
  SUMMARISER: 'summariser',
  LLM_BASE_URL: 'llmBaseUrl',
  LLM_API_KEY: 'llmApiKey',
  LLM_MODEL: 'llmModel',
  IMPRESSION_RETENTION_DAYS: 'impressionRetentionDays',
  ATTRIBUTION_WINDOW_MINUTES: 'attributionWindowMinutes',
  EXPERIMENTS: 'experiments',
};

/**
 * Reads the configuration: flags override environment variables, which override defaults.
 * Throws a FeedError('config_invalid') naming every bad value and what is accepted.
 *
 * @example loadConfig(process.env, { pageSize: 500 }).pageSize // 500
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: Partial<ConfigInput> = {}): Config {
  const input: Record<string, unknown> = {};
  for (const [variable, field] of Object.entries(ENVIRONMENT)) {
    const value = env[variable];
    if (value !== undefined && value !== '') input[field] = value;
  }
  for (const [field, value] of Object.entries(flags)) {
    if (value !== undefined) input[field] = value;
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message).join('; ');
    throw new FeedError('config_invalid', `invalid configuration: ${problems}`);
  }
  registerSecret(parsed.data.flicToken);
  registerSecret(parsed.data.llmApiKey);
  return Object.freeze(parsed.data);
}

/**
 * The upstream client settings a configuration names, for sync from the CLI or the server.
 *
 * @example upstreamOptions(loadConfig(), 'http://127.0.0.1:8001').pageSize // 1000
 */
export function upstreamOptions(config: Config, baseUrl: string): UpstreamClientOptions {
  return {
    baseUrl,
    token: config.flicToken,
    resonanceAlgorithm: config.resonanceAlgorithm,
    pageSize: config.pageSize,
    concurrency: config.concurrency,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
  };
}
