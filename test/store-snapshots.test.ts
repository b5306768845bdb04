// Stored model snapshot artifacts, once per dialect: chunked round trip, publication only once whole,
// pruning, and clear refusals for missing, partial or damaged artifacts.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { FeedError } from '../src/shared/errors.js';
import {
  deleteSnapshotArtifact,
  getSnapshotArtifactMeta,
  listSnapshotArtifacts,
  pruneSnapshotArtifacts,
  readSnapshotArtifact,
  saveSnapshotArtifact,
  updateSnapshotArtifactHeader,
} from '../src/store/snapshots.js';
import type { Store } from '../src/store/types.js';
import { StoreFactory, storeBackends } from './support/store-backends.js';

const backends = await storeBackends();
const KiB = 1024;

const artifact = (bytes: Uint8Array, header: Record<string, unknown> = { dataKey: 'k' }) => ({
  formatVersion: 1,
  checksum: 'ab'.repeat(32),
  header,
  bytes,
});

/** The FeedError `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<FeedError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FeedError);
  return error as FeedError;
}

const chunkRows = (store: Store, id?: number) => {
  let q = store.db.selectFrom('ModelSnapshotChunk').select(['snapshot_id', 'seq', 'data']);
  if (id !== undefined) q = q.where('snapshot_id', '=', id);
  return q.orderBy('snapshot_id').orderBy('seq').execute();
};

describe.each(backends)('snapshot artifacts on $dialect', ({ dialect, skipReason }) => {
  const factory = new StoreFactory(dialect);
  afterEach(() => factory.cleanup());

  describe.skipIf(skipReason !== null)('round trip', () => {
    it('stores a multi-chunk artifact in chunk rows and reads it back byte for byte', async () => {
      const store = await factory.open();
      const bytes = new Uint8Array(randomBytes(1024 * KiB + 123));
      const before = new Date().toISOString();
      const meta = await saveSnapshotArtifact(store, artifact(bytes, { dataKey: 'x', n: 1, nested: [1] }), {
        chunkBytes: 64 * KiB,
      });
      expect(typeof meta.id).toBe('number');
      expect(meta).toEqual({
        id: meta.id,
        formatVersion: 1,
        createdAt: meta.createdAt,
        byteSize: 1024 * KiB + 123,
        chunkCount: 17,
        chunkBytes: 64 * KiB,
        checksum: 'ab'.repeat(32),
        header: { dataKey: 'x', n: 1, nested: [1] },
      });
      expect(meta.createdAt >= before && meta.createdAt <= new Date().toISOString()).toBe(true);
      expect(await getSnapshotArtifactMeta(store, meta.id)).toEqual(meta);

      const rows = await chunkRows(store, meta.id);
      expect(rows.map((r) => Number(r.seq))).toEqual([...Array(17).keys()]);
      expect(rows.slice(0, 16).every((r) => r.data.length === 64 * KiB)).toBe(true);
      expect(rows[16]?.data.length).toBe(123);

      const read = await readSnapshotArtifact(store, meta.id);
      expect(read).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(read).equals(Buffer.from(bytes))).toBe(true);
    });

    it('saves from and reads into SharedArrayBuffer-backed views', async () => {
      const store = await factory.open();
      const source = new Uint8Array(randomBytes(300 * KiB + 7));
      const shared = new SharedArrayBuffer(source.length + 100);
      // A view starting inside its buffer: chunks must be cut from byteOffset on.
      const view = new Uint8Array(shared, 50, source.length);
      view.set(source);
      const meta = await saveSnapshotArtifact(store, artifact(view), { chunkBytes: 32 * KiB });
      expect(meta.chunkCount).toBe(10);

      let asked = -1;
      let target: Uint8Array | undefined;
      // Called once per batch of chunks, after its bytes are in place.
      const copiedAtBatchEnd: number[] = [];
      const writtenAtBatchEnd: number[] = [];
      const out = await readSnapshotArtifact(
        store,
        meta.id,
        (n) => {
          asked = n;
          target = new Uint8Array(new SharedArrayBuffer(n));
          return target;
        },
        {
          afterBatch: (written) => {
            copiedAtBatchEnd.push(target?.[source.length - 1] ?? -1);
            writtenAtBatchEnd.push(written);
          },
        },
      );
      expect(asked).toBe(source.length);
      // 10 chunks of 32 KiB fit one batch of 8 MiB: one call, once the last byte was copied.
      expect(copiedAtBatchEnd).toEqual([source[source.length - 1]]);
      expect(writtenAtBatchEnd).toEqual([source.length]);
      // One chunk per batch when asked (a reader that yields between chunks): the bytes in place so far.
      const perChunk: number[] = [];
      const again = await readSnapshotArtifact(store, meta.id, undefined, {
        batchBytes: 1,
        afterBatch: async (written) => {
          perChunk.push(written);
          await new Promise((r) => setImmediate(r));
        },
      });
      expect(Buffer.from(again).equals(Buffer.from(source))).toBe(true);
      expect(perChunk).toEqual(
        Array.from({ length: 10 }, (_, i) => Math.min(source.length, (i + 1) * 32 * KiB)),
      );
      expect(out.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Buffer.from(out).equals(Buffer.from(source))).toBe(true);
    });

    it('stores an empty artifact as a row with no chunks', async () => {
      const store = await factory.open();
      const meta = await saveSnapshotArtifact(store, artifact(new Uint8Array(0)));
      expect(meta).toMatchObject({ byteSize: 0, chunkCount: 0, chunkBytes: 4 * 1024 * KiB });
      expect(await chunkRows(store, meta.id)).toEqual([]);
      expect((await readSnapshotArtifact(store, meta.id)).length).toBe(0);
    });

    it('is seen and read by a second store handle over the same database', async () => {
      const store = await factory.open();
      const bytes = new Uint8Array(randomBytes(10 * KiB + 1));
      const meta = await saveSnapshotArtifact(store, artifact(bytes), { chunkBytes: KiB });
      const other = await factory.reopen();
      expect(await listSnapshotArtifacts(other)).toEqual([meta]);
      expect(Buffer.from(await readSnapshotArtifact(other, meta.id)).equals(Buffer.from(bytes))).toBe(true);
    });

    it('replaces a header in place', async () => {
      const store = await factory.open();
      const meta = await saveSnapshotArtifact(store, artifact(new Uint8Array([1, 2])));
      await updateSnapshotArtifactHeader(store, meta.id, { dataKey: 'new', at: 3 });
      expect(await getSnapshotArtifactMeta(store, meta.id)).toEqual({
        ...meta,
        header: { dataKey: 'new', at: 3 },
      });
    });

    it('refuses bad options and an allocator of the wrong size', async () => {
      const store = await factory.open();
      const one = artifact(new Uint8Array([1]));
      expect((await failure(saveSnapshotArtifact(store, one, { keep: 0 }))).code).toBe('bad_request');
      expect((await failure(saveSnapshotArtifact(store, one, { chunkBytes: 0 }))).message).toMatch(
        /chunkBytes must be an integer 1\.\./,
      );
      expect(await store.db.selectFrom('ModelSnapshot').selectAll().execute()).toEqual([]);
      const meta = await saveSnapshotArtifact(store, one);
      const error = await failure(readSnapshotArtifact(store, meta.id, () => new Uint8Array(5)));
      expect(error.code).toBe('internal');
      expect(error.message).toContain(`model snapshot ${meta.id}`);
    });
  });

  describe.skipIf(skipReason !== null)('listing and pruning', () => {
    it('lists complete snapshots newest first, up to a limit', async () => {
      const store = await factory.open();
      const ids: number[] = [];
      for (let i = 0; i < 4; i++)
        ids.push((await saveSnapshotArtifact(store, artifact(new Uint8Array([i])), { keep: 10 })).id);
      expect((await listSnapshotArtifacts(store)).map((m) => m.id)).toEqual([...ids].reverse());
      expect((await listSnapshotArtifacts(store, { limit: 2 })).map((m) => m.id)).toEqual([ids[3], ids[2]]);
    });

    it('prunes to the newest `keep`, with their chunks; saving prunes to 3 by default', async () => {
      const store = await factory.open();
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) {
        const bytes = new Uint8Array(300).fill(i);
        ids.push((await saveSnapshotArtifact(store, artifact(bytes), { keep: 10, chunkBytes: 100 })).id);
      }
      expect(await pruneSnapshotArtifacts(store, 2)).toBe(2);
      expect((await listSnapshotArtifacts(store)).map((m) => m.id)).toEqual([ids[3], ids[2]]);
      expect([...new Set((await chunkRows(store)).map((r) => Number(r.snapshot_id)))]).toEqual([
        ids[2],
        ids[3],
      ]);
      const gone = await failure(readSnapshotArtifact(store, ids[0]!));
      expect(gone.code).toBe('not_found');
      expect(gone.message).toBe(`model snapshot ${ids[0]} does not exist`);
      expect(await pruneSnapshotArtifacts(store, 2)).toBe(0);

      for (let i = 0; i < 3; i++) await saveSnapshotArtifact(store, artifact(new Uint8Array([9])));
      const kept = await listSnapshotArtifacts(store);
      expect(kept).toHaveLength(3);
      expect(kept.every((m) => m.id > ids[3]!)).toBe(true);
      // Saving with keep 1 leaves the one just written.
      const last = await saveSnapshotArtifact(store, artifact(new Uint8Array([8])), { keep: 1 });
      expect((await listSnapshotArtifacts(store)).map((m) => m.id)).toEqual([last.id]);
    });

    it('deletes a snapshot with its chunks, leaving the others; deleting it again is a no-op', async () => {
      const store = await factory.open();
      const a = await saveSnapshotArtifact(store, artifact(new Uint8Array(1000).fill(1)), { chunkBytes: 10 });
      const b = await saveSnapshotArtifact(store, artifact(new Uint8Array(1000).fill(2)), { chunkBytes: 10 });
      await deleteSnapshotArtifact(store, a.id);
      await deleteSnapshotArtifact(store, a.id);
      expect(await getSnapshotArtifactMeta(store, a.id)).toBeNull();
      expect((await chunkRows(store)).every((r) => Number(r.snapshot_id) === b.id)).toBe(true);
      expect(await chunkRows(store, b.id)).toHaveLength(100);
      expect(await readSnapshotArtifact(store, b.id)).toEqual(new Uint8Array(1000).fill(2));
    });
  });

  describe.skipIf(skipReason !== null)('incomplete and damaged snapshots', () => {
    /** An incomplete row (a writer at work, or one that stopped) with its first chunk, created `at`. */
    async function incomplete(store: Store, at: Date): Promise<number> {
      const row = await store.db
        .insertInto('ModelSnapshot')
        .values({
          format_version: 1,
          created_at: at.toISOString(),
          byte_size: 200,
          chunk_count: 2,
          chunk_bytes: 100,
          checksum: 'cd',
          header: '{}',
          complete: 0,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = Number(row.id);
      await store.db
        .insertInto('ModelSnapshotChunk')
        .values({ snapshot_id: id, seq: 0, data: Buffer.alloc(100, 7) })
        .execute();
      return id;
    }

    it('keeps an incomplete snapshot out of list and get, and refuses to read it, naming it', async () => {
      const store = await factory.open();
      const done = await saveSnapshotArtifact(store, artifact(new Uint8Array([1])));
      const id = await incomplete(store, new Date());
      expect((await listSnapshotArtifacts(store)).map((m) => m.id)).toEqual([done.id]);
      expect(await getSnapshotArtifactMeta(store, id)).toBeNull();
      const error = await failure(readSnapshotArtifact(store, id));
      expect(error.code).toBe('not_found');
      expect(error.message).toMatch(new RegExp(`^model snapshot ${id} is not completely written`));
    });

    it('removes incomplete snapshots older than 10 minutes when pruning, and keeps younger ones', async () => {
      const store = await factory.open();
      const stale = await incomplete(store, new Date(Date.now() - 11 * 60_000));
      const fresh = await incomplete(store, new Date(Date.now() - 60_000));
      const meta = await saveSnapshotArtifact(store, artifact(new Uint8Array([5])));
      const ids = (await store.db.selectFrom('ModelSnapshot').select('id').orderBy('id').execute()).map((r) =>
        Number(r.id),
      );
      expect(ids).toEqual([fresh, meta.id]);
      expect((await chunkRows(store)).map((r) => Number(r.snapshot_id))).toEqual([fresh, meta.id]);
      expect(stale).toBeLessThan(fresh);
      expect(await pruneSnapshotArtifacts(store, 3)).toBe(0);
    });

    it('refuses a snapshot with a missing chunk, naming the snapshot and the chunk', async () => {
      const store = await factory.open();
      const meta = await saveSnapshotArtifact(store, artifact(new Uint8Array(1000)), { chunkBytes: 100 });
      await store.db
        .deleteFrom('ModelSnapshotChunk')
        .where('snapshot_id', '=', meta.id)
        .where('seq', '=', 5)
        .execute();
      const error = await failure(readSnapshotArtifact(store, meta.id));
      expect(error.code).toBe('store_failed');
      expect(error.message).toBe(`model snapshot ${meta.id} is damaged: chunk 5 of 10 is missing`);

      await store.db
        .deleteFrom('ModelSnapshotChunk')
        .where('snapshot_id', '=', meta.id)
        .where('seq', '=', 9)
        .execute();
      await store.db
        .insertInto('ModelSnapshotChunk')
        .values({ snapshot_id: meta.id, seq: 5, data: Buffer.alloc(100) })
        .execute();
      expect((await failure(readSnapshotArtifact(store, meta.id))).message).toBe(
        `model snapshot ${meta.id} is damaged: chunk 9 of 10 is missing`,
      );
    });

    it('refuses a snapshot whose chunk or recorded sizes do not add up', async () => {
      const store = await factory.open();
      const meta = await saveSnapshotArtifact(store, artifact(new Uint8Array(250)), { chunkBytes: 100 });
      await store.db
        .updateTable('ModelSnapshotChunk')
        .set({ data: Buffer.alloc(99) })
        .where('snapshot_id', '=', meta.id)
        .where('seq', '=', 1)
        .execute();
      expect((await failure(readSnapshotArtifact(store, meta.id))).message).toBe(
        `model snapshot ${meta.id} is damaged: chunk 1 holds 99 bytes, expected 100`,
      );
      await store.db.updateTable('ModelSnapshot').set({ byte_size: 400 }).where('id', '=', meta.id).execute();
      const error = await failure(readSnapshotArtifact(store, meta.id));
      expect(error.code).toBe('store_failed');
      expect(error.message).toBe(
        `model snapshot ${meta.id} is damaged: 400 bytes do not fit 3 chunks of 100 bytes`,
      );
    });
  });
});
