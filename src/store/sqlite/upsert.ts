// The SQLite hot path: prepared multi-row `INSERT … ON CONFLICT DO UPDATE … WHERE <row differs>` statements.
import type BetterSqlite3 from 'better-sqlite3';
import type { TableSpec } from '../columns.js';
import { encodeInto } from '../records.js';

/** Bound parameters per multi-row statement: big enough to amortise each call, small enough to prepare once. */
const PARAMS_PER_STATEMENT = 600;

const quote = (name: string) => `"${name}"`;

/** Column names a table's upsert binds, in order (`extra` last when the table has it). */
export function upsertColumns(spec: TableSpec): string[] {
  return [...spec.columns.map((c) => c.column), ...(spec.hasExtra ? ['extra'] : [])];
}

/**
 * SQL upserting `rows` records into `spec.table`. The `WHERE` makes an identical row a no-op, so
 * `changes()` counts only inserted or changed rows; `IS NOT` is SQLite's null-safe "differs".
 */
export function sqliteUpsertSql(spec: TableSpec, rows: number): string {
  const columns = upsertColumns(spec);
  const tuple = `(${columns.map(() => '?').join(',')})`;
  const others = columns.filter((c) => c !== spec.key);
  const table = quote(spec.table);
  return (
    `INSERT INTO ${table} (${columns.map(quote).join(',')}) VALUES ${new Array(rows).fill(tuple).join(',')} ` +
    `ON CONFLICT (${quote(spec.key)}) DO UPDATE SET ${others.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')} ` +
    `WHERE ${others.map((c) => `${table}.${quote(c)} IS NOT excluded.${quote(c)}`).join(' OR ')}`
  );
}

/** Upserts records of one table through prepared statements; call inside a transaction. */
export class SqliteUpserter {
  private readonly width: number;
  private readonly batchRows: number;
  private readonly batch: BetterSqlite3.Statement;
  private readonly single: BetterSqlite3.Statement;
  private readonly batchParams: unknown[];
  private readonly singleParams: unknown[];

  constructor(
    db: BetterSqlite3.Database,
    private readonly spec: TableSpec,
  ) {
    this.width = upsertColumns(spec).length;
    this.batchRows = Math.max(1, Math.floor(PARAMS_PER_STATEMENT / this.width));
    this.batch = db.prepare(sqliteUpsertSql(spec, this.batchRows));
    this.single = db.prepare(sqliteUpsertSql(spec, 1));
    this.batchParams = new Array(this.width * this.batchRows);
    this.singleParams = new Array(this.width);
  }

  /**
   * Writes `records` in order; returns how many rows were inserted or changed. A duplicate id later in
   * the same call behaves as a second write of that record (unchanged if identical).
   */
  write(records: readonly Readonly<Record<string, unknown>>[]): number {
    const { spec, batchRows, batchParams, singleParams } = this;
    const n = records.length;
    let changed = 0;
    let i = 0;
    for (; i + batchRows <= n; i += batchRows) {
      let offset = 0;
      for (let j = 0; j < batchRows; j++)
        offset = encodeInto(spec, records[i + j]!, 'sqlite', batchParams, offset);
      changed += this.batch.run(batchParams).changes;
    }
    for (; i < n; i++) {
      encodeInto(spec, records[i]!, 'sqlite', singleParams, 0);
      changed += this.single.run(singleParams).changes;
    }
    return changed;
  }
}
