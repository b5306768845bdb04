// Row counts, orphaned interactions and sync states: what `empowerverse stats` prints. Works on both dialects.
import { type Kysely, sql } from 'kysely';
import type { InteractionSource } from '../upstream/sources.js';
import { INTERACTION_TABLES } from './columns.js';
import type { Database } from './schema.js';
import { syncStateFromRow } from './sync-state.js';
import { type StoreStats, TABLE_NAMES, type TableName } from './types.js';

/**
 * Counts rows per table, interactions whose user or post is not stored (kept, never dropped), and reads
 * every source's sync state.
 * @example const { tables, orphans } = await computeStats(store.db); console.log(tables.PostView);
 */
export async function computeStats(db: Kysely<Database>): Promise<StoreStats> {
  const tables = {} as Record<TableName, number>;
  for (const table of TABLE_NAMES) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    tables[table] = Number(row.n);
  }

  const orphans = {} as StoreStats['orphans'];
  for (const source of Object.keys(INTERACTION_TABLES) as InteractionSource[]) {
    const table = INTERACTION_TABLES[source].table;
    orphans[source] = {
      unknownUser: await countOrphans(db, table, 'user_id', 'User'),
      unknownPost: await countOrphans(db, table, 'post_id', 'Post'),
    };
  }

  const sync = (await db.selectFrom('sync_state').selectAll().orderBy('source').execute()).map(
    syncStateFromRow,
  );
  return { tables, orphans, sync };
}

/** Interactions in `table` whose `column` names no row of `parent` (NOT EXISTS on the parent's key). */
async function countOrphans(
  db: Kysely<Database>,
  table: TableName,
  column: 'user_id' | 'post_id',
  parent: 'User' | 'Post',
): Promise<number> {
  // Raw `sql` (same text on both dialects): Kysely's typed builder cannot take the table as a variable.
  const { rows } = await sql<{ n: number | string }>`
    select count(*) as n from ${sql.table(table)} i
    where not exists (select 1 from ${sql.table(parent)} p where p.id = i.${sql.ref(column)})`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
