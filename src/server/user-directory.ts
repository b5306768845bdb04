// Username → user id, for `GET /feed?username=`: one indexed lookup per name, cached per snapshot.
import type { Store } from '../store/types.js';

export interface UserDirectoryOptions {
  /** Names cached before the cache starts over. */
  maxEntries?: number;
}

/** Resolves usernames to platform user ids (the lowest id when a name repeats). */
export class UserDirectory {
  private cache = new Map<string, number | null>();
  private readonly maxEntries: number;

  constructor(
    private readonly store: Store,
    { maxEntries = 100_000 }: UserDirectoryOptions = {},
  ) {
    this.maxEntries = maxEntries;
  }

  /**
   * The id of the user called `username`, or undefined for a name no stored user has.
   * @example await users.idOf('studio_food') // 12
   */
  async idOf(username: string): Promise<number | undefined> {
    const cached = this.cache.get(username);
    if (cached !== undefined) return cached ?? undefined;
    const row = await this.store.db
      .selectFrom('User')
      .select('id')
      .where('username', '=', username)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    const id = row === undefined ? null : Number(row.id);
    if (this.cache.size >= this.maxEntries) this.cache = new Map();
    this.cache.set(username, id);
    return id ?? undefined;
  }

  /** Forgets every name (after a sync: users may have been added or renamed). */
  reset(): void {
    this.cache = new Map();
  }
}

/**
 * The user a query names: its user_id, else the id of its username (undefined when it names none, or a
 * username no stored user has).
 * @example await userIdOfQuery(ctx.users, { username: 'studio_food' }) // 12
 */
export async function userIdOfQuery(
  users: UserDirectory,
  q: { user_id?: number | undefined; username?: string | undefined },
): Promise<number | undefined> {
  if (q.user_id !== undefined) return q.user_id;
  return q.username === undefined ? undefined : await users.idOf(q.username);
}
