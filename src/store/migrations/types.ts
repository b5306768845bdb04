// What a versioned migration is here: Kysely's `up(db)` plus the dialect it runs on.
import { type ColumnDataType, type Expression, type Kysely, sql } from 'kysely';
import type { Dialect } from '../types.js';

/** A column type as Kysely's `addColumn` takes it (Kysely does not export its own alias). */
export type DataTypeExpression = ColumnDataType | Expression<unknown>;

export interface MigrationContext {
  readonly dialect: Dialect;
}

export interface StoreMigration {
  up(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
}

/** Column types that differ between the dialects; everything else is written the same for both. */
export interface ColumnTypes {
  /** Primary key: `integer` in SQLite (an alias of the rowid: the fastest key), `bigint` in PostgreSQL. */
  id: DataTypeExpression;
  /** Other integers (ids of other tables, epoch ms). */
  int: DataTypeExpression;
  float: DataTypeExpression;
  /** `"YYYY-MM-DD HH:MM:SS"`: byte-wise collation in PostgreSQL so range filters compare like SQLite. */
  time: DataTypeExpression;
  /** JSON text in SQLite, `jsonb` in PostgreSQL. */
  json: DataTypeExpression;
}

export function columnTypes(dialect: Dialect): ColumnTypes {
  return dialect === 'postgres'
    ? { id: 'bigint', int: 'bigint', float: 'double precision', time: sql`text collate "C"`, json: 'jsonb' }
    : { id: 'integer', int: 'integer', float: 'double precision', time: 'text', json: 'text' };
}
