// The stored results of `empowerverse eval --db` (table EvalRun, migration 0004): the latest is the eval
// table the dashboard plots for this database. The report is kept whole as JSON, so the store does not
// depend on its shape.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface EvalRunRecord<Report = unknown, Options = unknown> {
  id: number;
  createdAt: string;
  options: Options;
  report: Report;
}

/**
 * Stores an evaluation report with the options it ran with; returns its id.
 * @example await recordEvalRun(store.db, report, { split: 'test', composed: false });
 */
export async function recordEvalRun(
  db: Kysely<Database>,
  report: unknown,
  options: unknown,
  at: Date = new Date(),
): Promise<number> {
  const row = await db
    .insertInto('EvalRun')
    .values({
      created_at: at.toISOString(),
      options: JSON.stringify(options),
      report: JSON.stringify(report),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * The newest stored evaluation, or null when eval never ran on this database.
 * @example const latest = await latestEvalRun<EvalReport>(store.db);
 */
export async function latestEvalRun<Report = unknown, Options = unknown>(
  db: Kysely<Database>,
): Promise<EvalRunRecord<Report, Options> | null> {
  const row = await db.selectFrom('EvalRun').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (row === undefined) return null;
  return {
    id: Number(row.id),
    createdAt: row.created_at,
    options: JSON.parse(row.options) as Options,
    report: JSON.parse(row.report) as Report,
  };
}
