// The rendered-post cache of one snapshot, over a real synced SQLite file: a cache that replaces another
// keeps the old buffers of posts that did not change (one copy of each during a swap), renders changed
// ones anew, and lets go of the old cache once warm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostCache } from '../src/server/post-cache.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/types.js';
import { type SyncedDatabase, syncedDatabase } from './support/feed-server.js';

let db: SyncedDatabase;
let store: Store;

beforeAll(async () => {
  db = await syncedDatabase({ users: 50, posts: 40, interactions: 500 });
  store = await openStore(db.path);
});

afterAll(async () => {
  await store?.close();
  await db?.cleanup();
});

describe('PostCache', () => {
  it('shares unchanged posts with the cache it replaces and renders changed ones anew', async () => {
    const ids = (await store.db.selectFrom('Post').select('id').orderBy('id').execute()).map((r) =>
      Number(r.id),
    );
    expect(ids.length).toBe(40);
    const old = new PostCache(store, { warmBatchSize: 7 });
    await old.warm();
    expect(old.size).toBe(40);
    const changedId = ids[3]!;
    await store.db.updateTable('Post').set({ title: 'A new title' }).where('id', '=', changedId).execute();

    const next = new PostCache(store, { warmBatchSize: 7, previous: old });
    await next.warm();
    const before = await old.get(ids);
    const after = await next.get(ids);
    for (const [i, id] of ids.entries()) {
      if (id === changedId) {
        expect(after[i]).not.toBe(before[i]);
        expect(JSON.parse(after[i]!.toString()).title).toBe('A new title');
      } else {
        expect(after[i]).toBe(before[i]); // the same Buffer object, not an equal copy
      }
    }
    // Without a predecessor every buffer is its own.
    const alone = new PostCache(store);
    const own = await alone.get([ids[0]!]);
    expect(own[0]).not.toBe(before[0]);
    expect(own[0]!.equals(before[0]!)).toBe(true);
  });
});
