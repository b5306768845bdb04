// The dashboard's signed-in sessions (table DashboardSession, migration 0008): in the database so that
// every replica behind a load balancer accepts a session any of them issued, and a sign-out on one is a
// sign-out on all. Callers pass the hash of the cookie's id (../server/dashboard/sessions.ts), never the id.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Stores a session until `expiresAt` (epoch ms), and drops the sessions expired by `now`: sign-ins are
 * rare and rate limited, so pruning here keeps the table to the live sessions without a timer.
 * @example await createDashboardSession(store.db, hash, Date.now() + ttlMs, Date.now());
 */
export async function createDashboardSession(
  db: Kysely<Database>,
  idHash: string,
  expiresAt: number,
  now: number,
): Promise<void> {
  await db.deleteFrom('DashboardSession').where('expires_at', '<=', now).execute();
  await db.insertInto('DashboardSession').values({ id_hash: idHash, expires_at: expiresAt }).execute();
}

/**
 * Whether a stored session with this hash is live at `now`.
 * @example if (await isDashboardSessionValid(store.db, hash, Date.now())) …
 */
export async function isDashboardSessionValid(
  db: Kysely<Database>,
  idHash: string,
  now: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('DashboardSession')
    .select('id_hash')
    .where('id_hash', '=', idHash)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Ends a session (sign-out); a no-op for an unknown hash.
 * @example await revokeDashboardSession(store.db, hash);
 */
export async function revokeDashboardSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('DashboardSession').where('id_hash', '=', idHash).execute();
}
