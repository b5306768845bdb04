// Stored model snapshot artifacts, once per dialect: chunked round trip, publication only once whole,
// pruning, and clear refusals for missing or partial artifacts.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  deleteSnapshotArtifact,
  getSnapshotArtifactMeta,
  listSnapshotArtifacts,
  pruneSnapshotArtifacts,
  readSnapshotArtifact,
  saveSnapshotArtifact,
  updateSnapshotArtifactHeader,
} from '../src/store/snapshots.js';
import { StoreFactory, storeBackends } from './support/store-backends.js';

const backends = await storeBackends();

for (const { dialect, skipReason } of backends) {
  describe.skipIf(skipReason !== null)(`snapshot artifacts (${dialect})`, () => {
    const factory = new StoreFactory(dialect);
    afterEach(() => factory.cleanup());
    const artifact = (bytes: Uint8Array, header: Record<string, unknown> = { dataKey: 'k' }) => ({
      formatVersion: 1,
      checksum: 'ab'.repeat(32),
      header,
      bytes,
    });

    it('round-trips a multi-chunk artifact byte for byte, into a caller-allocated shared buffer', async () => {
      const store = await factory.open();
      const bytes = new Uint8Array(randomBytes(1024 * 1024 + 123));
      const meta = await saveSnapshotArtifact(store, artifact(bytes, { dataKey: 'x', n: 1 }), {
        chunkBytes: 64 * 1024,
      });
      expect(meta).toMatchObject({
        formatVersion: 1,
        byteSize: bytes.length,
        chunkCount: 17,
        chunkBytes: 64 * 1024,
        checksum: 'ab'.repeat(32),
        header: { dataKey: 'x', n: 1 },
      });
      const plain = await readSnapshotArtifact(store, meta.id);
      expect(Buffer.from(plain).equals(Buffer.from(bytes))).toBe(true);
      const shared = await readSnapshotArtifact(
        store,
        meta.id,
        (n) => new Uint8Array(new SharedArrayBuffer(n)),
      );
      expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Buffer.from(shared).equals(Buffer.from(bytes))).toBe(true);
      // Another connection to the same database sees it.
      const other = await factory.reopen();
      expect((await listSnapshotArtifacts(other)).map((m) => m.id)).toEqual([meta.id]);
    });

    it('lists newest first, keeps the newest few, and updates a header in place', async () => {
      const store = await factory.open();
      const ids: number[] = [];
      for (let i = 0; i < 4; i++)
        ids.push((await saveSnapshotArtifact(store, artifact(new Uint8Array([i])), { keep: 10 })).id);
      expect((await listSnapshotArtifacts(store)).map((m) => m.id)).toEqual([...ids].reverse());
      expect(await pruneSnapshotArtifacts(store, 2)).toBe(2);
      expect((await listSnapshotArtifacts(store)).map((m) => m.id)).toEqual([ids[3], ids[2]]);
      await expect(readSnapshotArtifact(store, ids[0]!)).rejects.toThrow(`snapshot ${ids[0]} is not stored`);
      await updateSnapshotArtifactHeader(store, ids[3]!, { dataKey: 'new' });
      expect((await getSnapshotArtifactMeta(store, ids[3]!))!.header).toEqual({ dataKey: 'new' });
      // Saving prunes by itself (default keep 3).
      await saveSnapshotArtifact(store, artifact(new Uint8Array([9])));
      await saveSnapshotArtifact(store, artifact(new Uint8Array([9])));
      expect(await listSnapshotArtifacts(store)).toHaveLength(3);
    });

    it('hides an incomplete snapshot and refuses one with a missing chunk, naming it', async () => {
      const store = await factory.open();
      const meta = await saveSnapshotArtifact(store, artifact(new Uint8Array(1000)), { chunkBytes: 100 });
      await store.db.updateTable('ModelSnapshot').set({ complete: 0 }).where('id', '=', meta.id).execute();
      expect(await listSnapshotArtifacts(store)).toEqual([]);
      await expect(readSnapshotArtifact(store, meta.id)).rejects.toThrow(/not completely written/);
      await store.db.updateTable('ModelSnapshot').set({ complete: 1 }).where('id', '=', meta.id).execute();
      await store.db
        .deleteFrom('ModelSnapshotChunk')
        .where('snapshot_id', '=', meta.id)
        .where('seq', '=', 5)
        .execute();
      await expect(readSnapshotArtifact(store, meta.id)).rejects.toThrow(
        `snapshot ${meta.id} is missing chunks 4..7`,
      );
      await deleteSnapshotArtifact(store, meta.id);
      expect(await getSnapshotArtifactMeta(store, meta.id)).toBeNull();
      expect(await store.db.selectFrom('ModelSnapshotChunk').selectAll().execute()).toEqual([]);
    });
  });
}
