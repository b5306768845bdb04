// Stored model snapshot artifacts: metadata in ModelSnapshot, bytes in ModelSnapshotChunk rows, written
// in short transactions and published (complete = 1) only once whole; the newest few are kept.
import { FeedError } from '../shared/errors.js';
import type { Store } from './types.js';

export interface StoredSnapshotMeta {
  id: number;
  formatVersion: number;
  createdAt: string;
  byteSize: number;
  chunkCount: number;
  chunkBytes: number;
  checksum: string;
  header: Record<string, unknown>;
}

export interface SaveSnapshotOptions {
  /** Complete snapshots kept; older ones are removed. Default 3. */
  keep?: number;
  /** Bytes per chunk row. Default 4 MiB. */
  chunkBytes?: number;
}

export interface SnapshotArtifactInput {
  formatVersion: number;
  checksum: string;
  header: Record<string, unknown>;
  bytes: Uint8Array;
}

/** Chunks written per transaction: short enough that other writers on SQLite never wait long. */
const CHUNKS_PER_TRANSACTION = 4;
/** An incomplete snapshot older than this was left by a writer that died. */
const ABANDONED_AFTER_MS = 10 * 60_000;

type MetaRow = {
  id: number | string;
  format_version: number | string;
  created_at: string;
  byte_size: number | string;
  chunk_count: number | string;
  chunk_bytes: number | string;
  checksum: string;
  header: string;
};

const toMeta = (r: MetaRow): StoredSnapshotMeta => ({
  id: Number(r.id),
  formatVersion: Number(r.format_version),
  createdAt: r.created_at,
  byteSize: Number(r.byte_size),
  chunkCount: Number(r.chunk_count),
  chunkBytes: Number(r.chunk_bytes),
  checksum: r.checksum,
  header: JSON.parse(r.header) as Record<string, unknown>,
});

const META_COLUMNS = [
  'id',
  'format_version',
  'created_at',
  'byte_size',
  'chunk_count',
  'chunk_bytes',
  'checksum',
  'header',
] as const;

/**
 * Saves an artifact (chunked), publishes it, then prunes to the newest `keep` complete ones.
 * @example const meta = await saveSnapshotArtifact(store, { formatVersion: 1, checksum, header: {}, bytes });
 */
export async function saveSnapshotArtifact(
  store: Store,
  artifact: SnapshotArtifactInput,
  { keep = 3, chunkBytes = 4 * 1024 * 1024 }: SaveSnapshotOptions = {},
): Promise<StoredSnapshotMeta> {
  const { bytes } = artifact;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new FeedError('config_invalid', `chunkBytes must be a positive integer, got ${chunkBytes}`);
  }
  const chunkCount = Math.ceil(bytes.length / chunkBytes);
  const inserted = await store.db
    .insertInto('ModelSnapshot')
    .values({
      format_version: artifact.formatVersion,
      created_at: new Date().toISOString(),
      byte_size: bytes.length,
      chunk_count: chunkCount,
      chunk_bytes: chunkBytes,
      checksum: artifact.checksum,
      header: JSON.stringify(artifact.header),
      complete: 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const id = Number(inserted.id);
  try {
    for (let first = 0; first < chunkCount; first += CHUNKS_PER_TRANSACTION) {
      const last = Math.min(chunkCount, first + CHUNKS_PER_TRANSACTION);
      await store.db.transaction().execute(async (tx) => {
        for (let seq = first; seq < last; seq++) {
          const start = seq * chunkBytes;
          // A view, not a copy (the bytes may be a SharedArrayBuffer of hundreds of MB).
          const data = Buffer.from(
            bytes.buffer as ArrayBuffer,
            bytes.byteOffset + start,
            Math.min(chunkBytes, bytes.length - start),
          );
          await tx.insertInto('ModelSnapshotChunk').values({ snapshot_id: id, seq, data }).execute();
        }
      });
    }
    await store.db.updateTable('ModelSnapshot').set({ complete: 1 }).where('id', '=', id).execute();
  } catch (error) {
    await deleteSnapshotArtifact(store, id).catch(() => {});
    throw new FeedError('store_failed', `saving snapshot ${id} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  await pruneSnapshotArtifacts(store, keep);
  return (await getSnapshotArtifactMeta(store, id))!;
}

/**
 * Complete stored snapshots, newest first.
 * @example const [newest] = await listSnapshotArtifacts(store, { limit: 1 });
 */
export async function listSnapshotArtifacts(
  store: Store,
  { limit = 100 }: { limit?: number } = {},
): Promise<StoredSnapshotMeta[]> {
  const rows = await store.db
    .selectFrom('ModelSnapshot')
    .select(META_COLUMNS)
    .where('complete', '=', 1)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toMeta);
}

/**
 * A complete stored snapshot's metadata, or null.
 * @example const meta = await getSnapshotArtifactMeta(store, 3);
 */
export async function getSnapshotArtifactMeta(store: Store, id: number): Promise<StoredSnapshotMeta | null> {
  const row = await store.db
    .selectFrom('ModelSnapshot')
    .select(META_COLUMNS)
    .where('id', '=', id)
    .where('complete', '=', 1)
    .executeTakeFirst();
  return row ? toMeta(row) : null;
}

/**
 * Replaces a stored snapshot's header (e.g. to record that it still covers the current data).
 * @example await updateSnapshotArtifactHeader(store, meta.id, { ...meta.header, dataKey });
 */
export async function updateSnapshotArtifactHeader(
  store: Store,
  id: number,
  header: Record<string, unknown>,
): Promise<void> {
  await store.db
    .updateTable('ModelSnapshot')
    .set({ header: JSON.stringify(header) })
    .where('id', '=', id)
    .execute();
}

/**
 * Reads a stored artifact's bytes into `allocate(byteSize)` (default a new Uint8Array), a few chunks at
 * a time. Throws `FeedError('store_failed')` for a missing or incomplete snapshot or missing chunks.
 * @example const bytes = await readSnapshotArtifact(store, id, (n) => new Uint8Array(new SharedArrayBuffer(n)));
 */
export async function readSnapshotArtifact(
  store: Store,
  id: number,
  allocate: (byteSize: number) => Uint8Array = (n) => new Uint8Array(n),
): Promise<Uint8Array> {
  const meta = await getSnapshotArtifactMeta(store, id);
  if (meta === null)
    throw new FeedError('store_failed', `snapshot ${id} is not stored (or not completely written)`);
  const out = allocate(meta.byteSize);
  if (out.length !== meta.byteSize)
    throw new FeedError('internal', `allocate returned ${out.length} bytes for ${meta.byteSize}`);
  let offset = 0;
  for (let first = 0; first < meta.chunkCount; first += CHUNKS_PER_TRANSACTION) {
    const rows = await store.db
      .selectFrom('ModelSnapshotChunk')
      .select(['seq', 'data'])
      .where('snapshot_id', '=', id)
      .where('seq', '>=', first)
      .where('seq', '<', first + CHUNKS_PER_TRANSACTION)
      .orderBy('seq')
      .execute();
    const expected = Math.min(CHUNKS_PER_TRANSACTION, meta.chunkCount - first);
    if (rows.length !== expected || rows.some((r, i) => Number(r.seq) !== first + i)) {
      throw new FeedError(
        'store_failed',
        `snapshot ${id} is missing chunks ${first}..${first + expected - 1}`,
      );
    }
    for (const row of rows) {
      const data = row.data;
      if (offset + data.length > meta.byteSize)
        throw new FeedError('store_failed', `snapshot ${id} has more bytes than recorded`);
      out.set(data, offset);
      offset += data.length;
    }
  }
  if (offset !== meta.byteSize) {
    throw new FeedError(
      'store_failed',
      `snapshot ${id} holds ${offset} bytes, its record says ${meta.byteSize}`,
    );
  }
  return out;
}

/** Removes a snapshot and its chunks. */
export async function deleteSnapshotArtifact(store: Store, id: number): Promise<void> {
  await store.db.deleteFrom('ModelSnapshotChunk').where('snapshot_id', '=', id).execute();
  await store.db.deleteFrom('ModelSnapshot').where('id', '=', id).execute();
}

/**
 * Keeps the newest `keep` complete snapshots and removes older ones, and incomplete ones abandoned by a
 * writer that died; returns how many were removed.
 */
export async function pruneSnapshotArtifacts(store: Store, keep: number): Promise<number> {
  const complete = await store.db
    .selectFrom('ModelSnapshot')
    .select('id')
    .where('complete', '=', 1)
    .orderBy('id', 'desc')
    .execute();
  const stale = complete.slice(Math.max(0, keep)).map((r) => Number(r.id));
  const cutoff = new Date(Date.now() - ABANDONED_AFTER_MS).toISOString();
  const abandoned = await store.db
    .selectFrom('ModelSnapshot')
    .select('id')
    .where('complete', '=', 0)
    .where('created_at', '<', cutoff)
    .execute();
  const ids = [...stale, ...abandoned.map((r) => Number(r.id))];
  for (const id of ids) await deleteSnapshotArtifact(store, id);
  return ids.length;
}
