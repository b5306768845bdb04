// The stored results of `empowerverse tune` (table TunedConfig, migration 0007): the newest is the
// configuration in force, which builds merge under their explicit options. With none stored, the
// engine's defaults apply.
import type { Kysely } from 'kysely';
import type { GroupMetrics } from '../eval/run.js';
import type { BuildOptions } from '../recommend/index.js';
import type { Database } from './schema.js';

export interface TunedConfigInput {
  /** The winning build options. */
  options: BuildOptions;
  /** Validation metrics of the hybrid with the defaults, and with `options`. */
  baseline: GroupMetrics;
  tuned: GroupMetrics;
  trials: number;
  /** The search's time budget in seconds (undefined: unlimited). */
  budgetSeconds?: number;
  /** The sync watermark of the data tuned on. */
  watermark: Record<string, string>;
}

export interface TunedConfigRecord extends Omit<TunedConfigInput, 'budgetSeconds'> {
  id: number;
  createdAt: string;
  budgetSeconds: number | null;
}

/** JSON that keeps ±Infinity (half-lives, "never decays") as strings and reads them back as numbers. */
const encode = (value: unknown) =>
  JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
const decode = (text: string): unknown =>
  JSON.parse(text, (_k, v) =>
    v === 'Infinity' ? Number.POSITIVE_INFINITY : v === '-Infinity' ? Number.NEGATIVE_INFINITY : v,
  );

/**
 * Stores a tuning result; returns its id (the newest is the configuration in force).
 * @example await saveTunedConfig(store.db, { options: result.best, baseline, tuned, trials: 40, watermark });
 */
export async function saveTunedConfig(
  db: Kysely<Database>,
  input: TunedConfigInput,
  at: Date = new Date(),
): Promise<number> {
  const budget = input.budgetSeconds;
  const row = await db
    .insertInto('TunedConfig')
    .values({
      created_at: at.toISOString(),
      options: encode(input.options),
      baseline: encode(input.baseline),
      tuned: encode(input.tuned),
      trials: input.trials,
      budget_seconds: budget === undefined || !Number.isFinite(budget) ? null : budget,
      watermark: encode(input.watermark),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * The newest stored tuning, or null when `tune` never ran on this database (the defaults apply).
 * @example const tuned = await latestTunedConfig(store.db);
 */
export async function latestTunedConfig(db: Kysely<Database>): Promise<TunedConfigRecord | null> {
  const row = await db
    .selectFrom('TunedConfig')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) return null;
  return {
    id: Number(row.id),
    createdAt: row.created_at,
    options: decode(row.options) as BuildOptions,
    baseline: decode(row.baseline) as GroupMetrics,
    tuned: decode(row.tuned) as GroupMetrics,
    trials: Number(row.trials),
    budgetSeconds: row.budget_seconds === null ? null : Number(row.budget_seconds),
    watermark: decode(row.watermark) as Record<string, string>,
  };
}
