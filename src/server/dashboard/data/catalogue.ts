// Posts and users as the dashboard labels them: title, category name and creator per post id, username
// per user id, one query per list of ids.
import type { Kysely } from 'kysely';
import type { Database } from '../../../store/schema.js';

export interface PostLabel {
  id: number;
  title: string;
  category: string | null;
  creator: string | null;
}

/** The `name` of a stored category JSON object, or null. */
export function categoryNameOf(json: string | null): string | null {
  if (json === null) return null;
  try {
    const value = JSON.parse(json) as { name?: unknown } | null;
    return typeof value?.name === 'string' && value.name !== '' ? value.name : null;
  } catch {
    return null;
  }
}

/** Ids split into chunks a single `in (…)` takes on every dialect. */
function chunks(ids: readonly number[], size = 500): number[][] {
  const unique = [...new Set(ids)];
  const out: number[][] = [];
  for (let i = 0; i < unique.length; i += size) out.push(unique.slice(i, i + size));
  return out;
}

/**
 * Labels of the stored posts among `ids` (ids with no stored post are absent).
 * @example (await postLabels(store.db, [7])).get(7)?.title
 */
export async function postLabels(
  db: Kysely<Database>,
  ids: readonly number[],
): Promise<Map<number, PostLabel>> {
  const labels = new Map<number, PostLabel>();
  for (const chunk of chunks(ids)) {
    const rows = await db
      .selectFrom('Post')
      .select(['id', 'title', 'category', 'username'])
      .where('id', 'in', chunk)
      .execute();
    for (const r of rows) {
      const id = Number(r.id);
      labels.set(id, {
        id,
        title: r.title ?? '',
        category: categoryNameOf(r.category),
        creator: r.username,
      });
    }
  }
  return labels;
}

/**
 * Usernames of the stored users among `ids`.
 * @example (await usernames(store.db, [42])).get(42)
 */
export async function usernames(db: Kysely<Database>, ids: readonly number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const chunk of chunks(ids)) {
    const rows = await db.selectFrom('User').select(['id', 'username']).where('id', 'in', chunk).execute();
    for (const r of rows) names.set(Number(r.id), r.username ?? '');
  }
  return names;
}
