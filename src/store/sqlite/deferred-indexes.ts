// Bulk loads into SQLite without secondary indexes: dropped while an empty table fills, rebuilt after.
//
// Why: with indexes on user_id and post_id, each 1,000-row page dirties ~2,000 random index pages, and
// WAL mode writes every one of them per commit: ~35k rows/s instead of ~500k+. Building the indexes once
// at the end (a sort) takes a few seconds for millions of rows. The dropped definitions are kept in
// `deferred_index` so an interrupted load still rebuilds exactly what was there.
import type BetterSqlite3 from 'better-sqlite3';

interface IndexListRow {
  name: string;
  unique: number;
  origin: string;
}

/**
 * Drops the non-unique indexes created on `table` (never the primary key or a UNIQUE constraint) and
 * records them for `restoreIndexes`. Returns the names dropped.
 */
export function deferIndexes(db: BetterSqlite3.Database, table: string): string[] {
  const list = db.prepare(`PRAGMA index_list(${JSON.stringify(table)})`).all() as IndexListRow[];
  const names = list.filter((i) => i.origin === 'c' && i.unique === 0).map((i) => i.name);
  const definition = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`).pluck();
  const remember = db.prepare(
    'INSERT INTO deferred_index (name, table_name, sql) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
  );
  db.transaction(() => {
    for (const name of names) {
      const sql = definition.get(name) as string | undefined;
      if (sql === undefined) continue;
      remember.run(name, table, sql);
      db.exec(`DROP INDEX ${JSON.stringify(name)}`);
    }
  }).immediate();
  return names;
}

/** Rebuilds the indexes deferred on `table` (or on every table); returns the names rebuilt. */
export function restoreIndexes(db: BetterSqlite3.Database, table?: string): string[] {
  const rows = (
    table === undefined
      ? db.prepare('SELECT name, sql FROM deferred_index ORDER BY name').all()
      : db.prepare('SELECT name, sql FROM deferred_index WHERE table_name = ? ORDER BY name').all(table)
  ) as { name: string; sql: string }[];
  if (rows.length === 0) return [];
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`).pluck();
  const forget = db.prepare('DELETE FROM deferred_index WHERE name = ?');
  db.transaction(() => {
    for (const { name, sql } of rows) {
      if (exists.get(name) === undefined) db.exec(sql);
      forget.run(name);
    }
  }).immediate();
  return rows.map((r) => r.name);
}

/** Names of the indexes currently deferred on `table`. */
export function deferredIndexes(db: BetterSqlite3.Database, table: string): string[] {
  return db
    .prepare('SELECT name FROM deferred_index WHERE table_name = ? ORDER BY name')
    .pluck()
    .all(table) as string[];
}
