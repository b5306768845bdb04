// PostgreSQL bulk upsert: one `INSERT … SELECT FROM unnest(<one array per column>) ON CONFLICT …` per page.
//
// unnest binds one parameter per column whatever the page size, so PostgreSQL's 65,535-parameter limit
// never applies, and the statement text is the same for every page.
import type { ColumnKind, TableSpec } from '../columns.js';
import { encodeValue, extraJson } from '../records.js';

const ARRAY_TYPE: Record<ColumnKind, string> = {
  id: 'bigint[]',
  int: 'bigint[]',
  float: 'float8[]',
  text: 'text[]',
  time: 'text[]',
  bool: 'boolean[]',
  json: 'jsonb[]',
};

const quote = (name: string) => `"${name}"`;

/** SQL of the unnest upsert; `IS DISTINCT FROM` on the row makes an identical record a no-op. */
export function postgresUpsertSql(spec: TableSpec): string {
  const columns = [...spec.columns, ...(spec.hasExtra ? [{ column: 'extra', kind: 'json' as const }] : [])];
  const names = columns.map((c) => quote(c.column));
  const others = columns.filter((c) => c.column !== spec.key).map((c) => quote(c.column));
  const table = quote(spec.table);
  const arrays = columns.map((c, i) => `$${i + 1}::${ARRAY_TYPE[c.kind]}`).join(', ');
  return (
    `INSERT INTO ${table} (${names.join(', ')}) SELECT * FROM unnest(${arrays}) ` +
    `ON CONFLICT (${quote(spec.key)}) DO UPDATE SET ${others.map((c) => `${c} = EXCLUDED.${c}`).join(', ')} ` +
    `WHERE (${others.map((c) => `${table}.${c}`).join(', ')}) IS DISTINCT FROM (${others.map((c) => `EXCLUDED.${c}`).join(', ')})`
  );
}

/**
 * Column arrays for `postgresUpsertSql`. A record repeated within the page keeps its last version only:
 * PostgreSQL refuses to update one row twice in a statement.
 */
export function postgresUpsertParams(
  spec: TableSpec,
  records: readonly Readonly<Record<string, unknown>>[],
): unknown[][] {
  const byKey = new Map<unknown, Readonly<Record<string, unknown>>>();
  const keyField = spec.columns[0]!.field;
  for (const record of records) byKey.set(record[keyField], record);
  const arrays: unknown[][] = spec.columns.map(() => []);
  const extras: unknown[] = [];
  for (const record of byKey.values()) {
    spec.columns.forEach((c, i) => {
      arrays[i]!.push(encodeValue(c.kind, record[c.field], 'postgres'));
    });
    if (spec.hasExtra) extras.push(extraJson(spec, record));
  }
  return spec.hasExtra ? [...arrays, extras] : arrays;
}
