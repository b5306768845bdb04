// The event follower on every dialect: it reads the FeedEvent rows other processes store into the live
// overlay, once each; a row that commits after a higher id (PostgreSQL hands out ids before commit) is
// still picked up; events inside the snapshot never join the overlay; on PostgreSQL a NOTIFY alone wakes
// it, and it listens again after its connection is cut.
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventFollower } from '../src/server/event-follower.js';
import { LiveEvents } from '../src/server/live-events.js';
import { FEED_EVENT_CHANNEL_SQL, insertFeedEvent } from '../src/store/feed-events.js';
import type { Store } from '../src/store/types.js';
import { eventually } from './support/feed-server.js';
import { PG_URL, StoreFactory, storeBackends } from './support/store-backends.js';

const backends = await storeBackends();

describe.each(backends)('following FeedEvent on $dialect', ({ dialect, skipReason }) => {
  let factory: StoreFactory;
  /** The serving process's store, and another process's (a second connection to the same database). */
  let mine: Store;
  let theirs: Store;
  let live: LiveEvents;
  let follower: EventFollower | undefined;

  beforeEach(async () => {
    if (skipReason) return;
    factory = new StoreFactory(dialect);
    mine = await factory.open();
    theirs = await factory.reopen();
    live = new LiveEvents();
  });
  afterEach(async () => {
    if (skipReason) return;
    await follower?.close();
    follower = undefined;
    await factory.cleanup();
  });

  const held = (userId: number) => (live.forUser(userId) ?? []).map((e) => e.eventId);
  const view = (user_id: number, post_id: number) =>
    insertFeedEvent(theirs, { user_id, post_id, type: 'view' });

  it.skipIf(skipReason !== null)(
    'applies what another connection stores, once, and nothing the snapshot holds',
    async () => {
      const inSnapshot = await view(1, 10);
      follower = new EventFollower({ store: mine, live, listen: false, pollMs: 20 });
      follower.rebase(inSnapshot.id);
      const later = [await view(1, 11), await view(2, 12)];
      await eventually(async () => (live.size === 2 ? true : undefined), 5000);
      expect(held(1)).toEqual([later[0]!.id]);
      expect(held(2)).toEqual([later[1]!.id]);
      // More reads (polls, wakes) apply nothing twice.
      await follower.wake();
      await follower.wake();
      expect(live.size).toBe(2);
      expect(follower.status).toMatchObject({ ok: true, lastEventId: later[1]!.id, pendingGaps: 0 });

      // A newer snapshot holds the first of them: the overlay drops it and never takes it back.
      live.prune(later[0]!.id);
      follower.rebase(later[0]!.id);
      await follower.wake();
      expect(held(1)).toEqual([]);
      expect(held(2)).toEqual([later[1]!.id]);
    },
  );

  it.skipIf(skipReason !== null)(
    'picks up a row that commits after a higher id (a gap), until its grace period ends',
    async () => {
      const first = await view(3, 10);
      follower = new EventFollower({
        store: mine,
        live,
        listen: false,
        pollMs: 60_000,
        listeningPollMs: 60_000,
      });
      follower.rebase(first.id);
      // Ids first + 1 and first + 2 are handed out; + 2 commits first.
      const insertWithId = (id: number, post_id: number) =>
        theirs.db
          .insertInto('FeedEvent')
          .values({
            id,
            user_id: 3,
            post_id,
            type: 'like',
            rating_percent: null,
            created_at: '2026-01-01 00:00:00',
          })
          .execute();
      await insertWithId(first.id + 2, 12);
      await follower.wake();
      expect(held(3)).toEqual([first.id + 2]);
      expect(follower.status.pendingGaps).toBe(1);
      await insertWithId(first.id + 1, 11);
      await follower.wake();
      expect(held(3).sort()).toEqual([first.id + 1, first.id + 2]);
      expect(follower.status.pendingGaps).toBe(0);
    },
  );

  it.skipIf(skipReason !== null)('gives up on a skipped id once its grace period has passed', async () => {
    const first = await view(4, 10);
    follower = new EventFollower({ store: mine, live, listen: false, pollMs: 60_000, gapGraceMs: 0 });
    follower.rebase(first.id);
    await theirs.db
      .insertInto('FeedEvent')
      .values({
        id: first.id + 2,
        user_id: 4,
        post_id: 12,
        type: 'like',
        rating_percent: null,
        created_at: '2026-01-01 00:00:00',
      })
      .execute();
    await follower.wake();
    await follower.wake();
    expect(follower.status.pendingGaps).toBe(0);
    expect(held(4)).toEqual([first.id + 2]);
  });

  it.skipIf(skipReason !== null || dialect !== 'postgres')(
    'is woken by NOTIFY alone, and listens again after its connection is cut',
    async () => {
      follower = new EventFollower({ store: mine, live, pollMs: 60_000, listeningPollMs: 60_000 });
      follower.rebase(0);
      await eventually(async () => (follower!.status.listening ? true : undefined), 5000);
      const first = await view(5, 10);
      // No poll runs within a minute: only the notification can have woken it.
      await eventually(async () => (held(5).includes(first.id) ? true : undefined), 5000);

      // This store's listening connection only: other test files listen on channels of their own.
      const { rows } = await sql<{ channel: string }>`SELECT ${FEED_EVENT_CHANNEL_SQL} AS channel`.execute(
        mine.db,
      );
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        const { rowCount } = await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1',
          [`LISTEN "${rows[0]!.channel}"`],
        );
        expect(rowCount).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
      await eventually(async () => (follower!.status.listening === false ? true : undefined), 5000);
      await eventually(async () => (follower!.status.listening ? true : undefined), 10_000);
      const second = await view(5, 11);
      await eventually(async () => (held(5).includes(second.id) ? true : undefined), 5000);
    },
  );
});
