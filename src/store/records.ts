// Turns upstream records into column values and rows back into the records upstream sent.
import type { ColumnKind, TableSpec } from './columns.js';
import type { Dialect } from './types.js';

type AnyRecord = Readonly<Record<string, unknown>>;

/** Encodes one field value for `dialect`: booleans become 0/1 in SQLite, JSON fields become JSON text. */
export function encodeValue(kind: ColumnKind, value: unknown, dialect: Dialect): unknown {
  if (value === undefined || value === null) return null;
  switch (kind) {
    case 'bool':
      return dialect === 'sqlite' ? (value ? 1 : 0) : Boolean(value);
    case 'json':
      return JSON.stringify(value);
    default:
      return value;
  }
}

/** JSON text of the fields `record` carries beyond the table's known ones, or null when there are none. */
export function extraJson(spec: TableSpec, record: AnyRecord): string | null {
  let extra: Record<string, unknown> | null = null;
  for (const key in record) {
    if (!spec.knownFields.has(key)) {
      extra ??= {};
      extra[key] = record[key];
    }
  }
  return extra === null ? null : JSON.stringify(extra);
}

/**
 * Writes the column values of `record` (then its `extra`, when the table has one) into `out` from
 * `offset`; returns the offset after them. Filling one reused array keeps the hot path allocation-free.
 */
export function encodeInto(
  spec: TableSpec,
  record: AnyRecord,
  dialect: Dialect,
  out: unknown[],
  offset: number,
): number {
  let i = offset;
  for (const c of spec.columns) out[i++] = encodeValue(c.kind, record[c.field], dialect);
  if (spec.hasExtra) out[i++] = extraJson(spec, record);
  return i;
}

/** Column values of `record` in `spec` order, `extra` last. */
export function encodeRecord(spec: TableSpec, record: AnyRecord, dialect: Dialect): unknown[] {
  const out: unknown[] = new Array(spec.columns.length + (spec.hasExtra ? 1 : 0));
  encodeInto(spec, record, dialect, out, 0);
  return out;
}

/** Decodes a column value read from either dialect. */
export function decodeValue(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'bool':
      return typeof value === 'boolean' ? value : value !== 0;
    case 'json':
      return typeof value === 'string' ? JSON.parse(value) : value;
    case 'id':
    case 'int':
    case 'float':
      // PostgreSQL bigint arrives as a string when the pool's parser is not ours; ids are safe integers.
      return typeof value === 'string' ? Number(value) : value;
    default:
      return value;
  }
}

/**
 * Rebuilds the record upstream sent from a row: the known fields under their upstream names (a field
 * that was absent reads back as null), then the unknown ones kept in `extra`.
 */
export function decodeRow<T = Record<string, unknown>>(spec: TableSpec, row: AnyRecord): T {
  const record: Record<string, unknown> = {};
  for (const c of spec.columns) record[c.field] = decodeValue(c.kind, row[c.column]);
  if (spec.hasExtra) {
    const extra = row.extra;
    if (extra !== null && extra !== undefined) {
      Object.assign(record, typeof extra === 'string' ? JSON.parse(extra) : extra);
    }
  }
  return record as T;
}
