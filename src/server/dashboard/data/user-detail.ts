// A user as the user inspector shows it: the stored record's identity and counters.
import type { Kysely } from 'kysely';
import type { Database } from '../../../store/schema.js';

export interface UserDetail {
  id: number;
  username: string | null;
  name: string;
  userType: string | null;
  lastLogin: string | null;
  posts: number | null;
  followers: number | null;
  following: number | null;
}

const count = (v: number | null) => (v === null ? null : Number(v));

/**
 * The stored user, or null (a user may still have interactions: they are kept as orphans).
 * @example (await userDetail(store.db, 42))?.username
 */
export async function userDetail(db: Kysely<Database>, id: number): Promise<UserDetail | null> {
  const row = await db
    .selectFrom('User')
    .select([
      'id',
      'username',
      'first_name',
      'last_name',
      'user_type',
      'last_login',
      'post_count',
      'follower_count',
      'following_count',
    ])
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) return null;
  return {
    id,
    username: row.username,
    name: [row.first_name, row.last_name].filter((s) => s !== null && s !== '').join(' '),
    userType: row.user_type,
    lastLogin: row.last_login,
    posts: count(row.post_count),
    followers: count(row.follower_count),
    following: count(row.following_count),
  };
}

/**
 * The id of the user called `username` (exact match), or null.
 * @example await userIdByName(store.db, 'ava_k')
 */
export async function userIdByName(db: Kysely<Database>, username: string): Promise<number | null> {
  const row = await db.selectFrom('User').select('id').where('username', '=', username).executeTakeFirst();
  return row === undefined ? null : Number(row.id);
}
