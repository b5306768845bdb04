// Starting points for the inspectors: the users and posts with the most synced interactions.
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../store/schema.js';

export interface ActiveEntry {
  id: number;
  interactions: number;
}

/**
 * The `limit` users (or posts) with the most interactions over the four platform tables.
 * @example await mostActive(store.db, 'user_id', 20)
 */
export async function mostActive(
  db: Kysely<Database>,
  column: 'user_id' | 'post_id',
  limit: number,
): Promise<ActiveEntry[]> {
  const id = sql.ref(column);
  const { rows } = await sql<{ id: number | string; n: number | string }>`
    select ${id} as id, count(*) as n from (
      select ${id} from ${sql.table('PostView')} union all
      select ${id} from ${sql.table('PostLike')} union all
      select ${id} from ${sql.table('PostInspire')} union all
      select ${id} from ${sql.table('PostRating')}
    ) i group by ${id} order by count(*) desc, ${id} limit ${limit}`.execute(db);
  return rows.map((r) => ({ id: Number(r.id), interactions: Number(r.n) }));
}
