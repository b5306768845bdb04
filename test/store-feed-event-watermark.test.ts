// The FeedEvent watermark a build records, on real PostgreSQL with two connections (skipped when none
// answers): while one transaction holds an uncommitted insert with a lower id and another has committed a
// higher one, the plain max is the higher id (the gap), and the committed watermark waits for the writer,
// so every id at or below what it answers is readable and a build loading up to it holds both events.
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  committedFeedEventWatermark,
  insertFeedEvent,
  maxFeedEventId,
  streamFeedEvents,
} from '../src/store/feed-events.js';
import type { Store } from '../src/store/types.js';
import { eventually } from './support/feed-server.js';
import { PG_URL, StoreFactory, storeBackends } from './support/store-backends.js';

const skipReason = (await storeBackends()).find((b) => b.dialect === 'postgres')!.skipReason;
const factory = new StoreFactory('postgres');
const clients: pg.Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.end().catch(() => {});
  await factory.cleanup();
});

/** A second connection of its own on the store's schema (not the store's pool). */
async function otherConnection(store: Store): Promise<pg.Client> {
  const schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(store.db)).rows[0]!.s;
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  clients.push(client);
  return client;
}

/** Whether a session waits for a lock on FeedEvent (the watermark read, queued behind the writer). */
async function lockAwaited(store: Store): Promise<boolean> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM pg_locks
    WHERE NOT granted AND relation = ${sql.lit('"FeedEvent"')}::regclass`.execute(store.db);
  return Number(rows[0]!.n) > 0;
}

const ids = async (store: Store, upToId: number) => {
  const out: number[] = [];
  for await (const batch of streamFeedEvents(store, { upToId })) out.push(...batch.map((e) => e.id));
  return out;
};

describe.skipIf(skipReason !== null)('the FeedEvent watermark on PostgreSQL', () => {
  it('is never above an id a transaction still holds uncommitted', async () => {
    const store = await factory.open({ maxConnections: 4 });
    await insertFeedEvent(store, { user_id: 1, post_id: 1, type: 'view' });
    const late = await otherConnection(store);
    await late.query('BEGIN');
    const { rows } = await late.query<{ id: string }>(
      `INSERT INTO "FeedEvent" (user_id, post_id, type, created_at) VALUES (2, 2, 'like', '2026-01-01 00:00:00') RETURNING id`,
    );
    const lower = Number(rows[0]!.id);
    const higher = (await insertFeedEvent(store, { user_id: 3, post_id: 3, type: 'like' })).id;
    expect(higher).toBeGreaterThan(lower);
    // The gap: the plain max is the committed higher id while the lower one is not visible yet.
    expect(await maxFeedEventId(store)).toBe(higher);
    expect(await ids(store, higher)).not.toContain(lower);

    let answered: number | undefined;
    const watermark = committedFeedEventWatermark(store).then((w) => {
      answered = w;
      return w;
    });
    // It waits for the writer (its lock request is queued behind the open transaction) ...
    await eventually(async () => ((await lockAwaited(store)) ? true : undefined));
    expect(answered).toBeUndefined();
    // ... and an insert sent meanwhile waits behind it, then stores above the watermark.
    const meanwhile = insertFeedEvent(store, { user_id: 4, post_id: 4, type: 'view' });
    await late.query('COMMIT');
    const upTo = await watermark;
    expect(upTo).toBeGreaterThanOrEqual(higher);
    // Everything at or below the watermark is readable: a build loading up to it holds the late event.
    expect(await ids(store, upTo)).toEqual(expect.arrayContaining([lower, higher]));
    expect((await meanwhile).id).toBeGreaterThan(upTo);
  });

  it('answers at once when no writer is in flight, and counts a rolled-back id as gone', async () => {
    const store = await factory.open({ maxConnections: 4 });
    expect(await committedFeedEventWatermark(store)).toBe(0);
    const rolledBack = await otherConnection(store);
    await rolledBack.query('BEGIN');
    await rolledBack.query(
      `INSERT INTO "FeedEvent" (user_id, post_id, type, created_at) VALUES (2, 2, 'like', '2026-01-01 00:00:00')`,
    );
    const watermark = committedFeedEventWatermark(store);
    await eventually(async () => ((await lockAwaited(store)) ? true : undefined));
    await rolledBack.query('ROLLBACK');
    expect(await watermark).toBe(0);
    const stored = await insertFeedEvent(store, { user_id: 1, post_id: 1, type: 'view' });
    expect(await committedFeedEventWatermark(store)).toBe(stored.id);
  });
});
