// Stored model snapshot artifacts: metadata in ModelSnapshot, bytes in ModelSnapshotChunk rows, written
// in short transactions and published (complete = 1) only once whole; the newest few are kept.
//
// Both dialects through Kysely. A save never holds a transaction for more than a few MiB of chunks, and on
// SQLite it pauses between transactions (about as long as the last one took) so that another process's
// writer, whose busy handler retries at intervals, actually finds the write lock free. Deleting works the
// same way in reverse: the snapshot is unpublished first, its chunks go in short batches, and the row
// last, so a deleter that dies leaves an incomplete row that the next prune removes.
//
// On PostgreSQL a published snapshot is announced on the cluster channel, so every `serve` replica on the
// database loads it without waiting for its next poll.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { describeError, FeedError } from '../shared/errors.js';
import { notifyCluster } from './postgres/cluster-locks.js';
import type { Store } from './types.js';

export interface StoredSnapshotMeta {
  id: number;
  formatVersion: number;
  /** ISO time the save began. */
  createdAt: string;
  byteSize: number;
  chunkCount: number;
  chunkBytes: number;
  /** As given by the caller (hex); never verified here. */
  checksum: string;
  header: Record<string, unknown>;
}

export interface SaveSnapshotOptions {
  /** Complete snapshots kept (at least 1); older ones are removed. Default 3. */
  keep?: number;
  /** Bytes per chunk row, 1 B..64 MiB. Default 4 MiB. */
  chunkBytes?: number;
}

export interface SnapshotArtifactInput {
  formatVersion: number;
  checksum: string;
  header: Record<string, unknown>;
  /** The artifact; may be a view of a SharedArrayBuffer (chunks are views of it, never a copy of all). */
  bytes: Uint8Array;
}

const MiB = 1024 * 1024;
const DEFAULT_CHUNK_BYTES = 4 * MiB;
const MAX_CHUNK_BYTES = 64 * MiB;
/** Chunk bytes written, read or deleted per statement batch (one transaction when writing). */
const BATCH_BYTES = 8 * MiB;
/** Never more rows than this in one batch, however small the chunks. */
const MAX_BATCH_CHUNKS = 64;
/** An incomplete snapshot older than this was left by a writer (or deleter) that stopped. */
const ABANDONED_AFTER_MS = 10 * 60_000;

type MetaRow = {
  id: number | string;
  format_version: number | string;
  created_at: string;
  byte_size: number | string;
  chunk_count: number | string;
  chunk_bytes: number | string;
  checksum: string;
  header: unknown;
};

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

/** Numbers on both dialects: pg may hand bigint columns back as strings. */
const toMeta = (r: MetaRow): StoredSnapshotMeta => ({
  id: Number(r.id),
  formatVersion: Number(r.format_version),
  createdAt: r.created_at,
  byteSize: Number(r.byte_size),
  chunkCount: Number(r.chunk_count),
  chunkBytes: Number(r.chunk_bytes),
  checksum: r.checksum,
  header: (typeof r.header === 'string' ? JSON.parse(r.header) : r.header) as Record<string, unknown>,
});

/** Chunks per batch for chunks of `chunkBytes`: about BATCH_BYTES, at least 1. */
const batchChunks = (chunkBytes: number, batchBytes = BATCH_BYTES) =>
  Math.max(1, Math.min(MAX_BATCH_CHUNKS, Math.floor(batchBytes / chunkBytes)));

function assertInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer ${min}..${max}`;
    throw new FeedError('bad_request', `${name} must be ${range}, got ${JSON.stringify(value)}`);
  }
}

/** Runs `work`, turning a database error into `FeedError('store_failed')` saying what failed. */
async function guard<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof FeedError) throw error;
    throw new FeedError('store_failed', `${what} failed: ${describeError(error)}`, { cause: error });
  }
}

/** On SQLite, leaves the write lock free about as long as it was just held (see the file comment). */
async function yieldWriteLock(store: Store, heldMs: number): Promise<void> {
  if (store.dialect === 'sqlite') await sleep(Math.max(1, Math.ceil(heldMs)));
}

/**
 * Saves an artifact: its row first (unpublished), then its chunks a few MiB per transaction, then
 * publishes it (complete = 1) and prunes to the newest `keep` complete snapshots, also removing incomplete
 * ones older than 10 minutes (left by writers that stopped). Returns the stored metadata. A snapshot
 * removed while being written (its writer took over 10 minutes) fails with `FeedError('conflict')`.
 * @example const meta = await saveSnapshotArtifact(store, { formatVersion: 1, checksum, header: {}, bytes });
 */
export async function saveSnapshotArtifact(
  store: Store,
  artifact: SnapshotArtifactInput,
  { keep = 3, chunkBytes = DEFAULT_CHUNK_BYTES }: SaveSnapshotOptions = {},
): Promise<StoredSnapshotMeta> {
  const { bytes } = artifact;
  assertInteger('keep', keep, 1);
  assertInteger('chunkBytes', chunkBytes, 1, MAX_CHUNK_BYTES);
  assertInteger('formatVersion', artifact.formatVersion, 0);
  if (!(bytes instanceof Uint8Array))
    throw new FeedError('bad_request', 'artifact bytes must be a Uint8Array');
  const chunkCount = Math.ceil(bytes.length / chunkBytes);
  const createdAt = new Date().toISOString();
  const header = JSON.stringify(artifact.header);
  const id = await guard('storing a new model snapshot row', async () => {
    const inserted = await store.db
      .insertInto('ModelSnapshot')
      .values({
        format_version: artifact.formatVersion,
        created_at: createdAt,
        byte_size: bytes.length,
        chunk_count: chunkCount,
        chunk_bytes: chunkBytes,
        checksum: artifact.checksum,
        header,
        complete: 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(inserted.id);
  });

  const removedWhileWriting = () =>
    new FeedError(
      'conflict',
      `model snapshot ${id} was removed while being written (incomplete snapshots older than ` +
        `${ABANDONED_AFTER_MS / 60_000} minutes are taken as abandoned)`,
    );
  try {
    const perBatch = batchChunks(chunkBytes);
    for (let first = 0; first < chunkCount; first += perBatch) {
      const last = Math.min(chunkCount, first + perBatch);
      const started = performance.now();
      await store.db.transaction().execute(async (tx) => {
        // A no-op update: fails the batch if the row is gone, and (PostgreSQL) locks it so a concurrent
        // delete waits for this batch and then removes its chunks too.
        const { numUpdatedRows } = await tx
          .updateTable('ModelSnapshot')
          .set({ complete: 0 })
          .where('id', '=', id)
          .where('complete', '=', 0)
          .executeTakeFirst();
        if (numUpdatedRows === 0n) throw removedWhileWriting();
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
      await yieldWriteLock(store, performance.now() - started);
    }
    const { numUpdatedRows } = await store.db
      .updateTable('ModelSnapshot')
      .set({ complete: 1 })
      .where('id', '=', id)
      .where('complete', '=', 0)
      .executeTakeFirst();
    if (numUpdatedRows === 0n) throw removedWhileWriting();
  } catch (error) {
    await deleteSnapshotArtifact(store, id).catch(() => {});
    if (error instanceof FeedError) throw error;
    throw new FeedError('store_failed', `saving model snapshot ${id} failed: ${describeError(error)}`, {
      cause: error,
    });
  }
  await pruneSnapshotArtifacts(store, keep);
  if (store.dialect === 'postgres') {
    // Best effort: a replica that misses it finds the snapshot on its next poll.
    await notifyCluster(store.db as Kysely<unknown>, 'snapshot', { id }).catch(() => {});
  }
  return {
    id,
    formatVersion: artifact.formatVersion,
    createdAt,
    byteSize: bytes.length,
    chunkCount,
    chunkBytes,
    checksum: artifact.checksum,
    header: JSON.parse(header) as Record<string, unknown>,
  };
}

/**
 * Complete stored snapshots, newest (highest id) first; at most `limit` (default 100).
 * @example const [newest] = await listSnapshotArtifacts(store, { limit: 1 });
 */
export async function listSnapshotArtifacts(
  store: Store,
  { limit = 100 }: { limit?: number } = {},
): Promise<StoredSnapshotMeta[]> {
  assertInteger('limit', limit, 1);
  return guard('listing model snapshots', async () => {
    const rows = await store.db
      .selectFrom('ModelSnapshot')
      .select(META_COLUMNS)
      .where('complete', '=', 1)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toMeta);
  });
}

/**
 * A complete stored snapshot's metadata, or null when there is none of that id or it is incomplete.
 * @example const meta = await getSnapshotArtifactMeta(store, 3);
 */
export async function getSnapshotArtifactMeta(store: Store, id: number): Promise<StoredSnapshotMeta | null> {
  const row = await findRow(store, id);
  return row !== undefined && Number(row.complete) === 1 ? toMeta(row) : null;
}

async function findRow(
  store: Store,
  id: number,
): Promise<(MetaRow & { complete: number | string }) | undefined> {
  return guard(`reading model snapshot ${id}`, () =>
    store.db
      .selectFrom('ModelSnapshot')
      .select([...META_COLUMNS, 'complete'])
      .where('id', '=', id)
      .executeTakeFirst(),
  );
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
  await guard(`updating the header of model snapshot ${id}`, () =>
    store.db
      .updateTable('ModelSnapshot')
      .set({ header: JSON.stringify(header) })
      .where('id', '=', id)
      .execute(),
  );
}

/**
 * Reads a complete stored artifact into `allocate(byteSize)` (default a new Uint8Array; it must return
 * exactly that many bytes), a few MiB of chunks at a time, in order. Throws `FeedError('not_found')` for
 * a snapshot that does not exist or is incomplete, and `FeedError('store_failed')` naming the snapshot
 * when a chunk is missing or the sizes do not add up. The checksum is not verified (the caller does).
 * `afterBatch` runs (and is awaited) once each batch is copied, when its chunk buffers are garbage, with
 * the count of the artifact's bytes in place so far.
 * @example const bytes = await readSnapshotArtifact(store, id, (n) => new Uint8Array(new SharedArrayBuffer(n)));
 */
export interface ReadArtifactOptions {
  /** Called after each batch with the bytes in place so far; awaited (a reader may yield here). */
  afterBatch?: (written: number) => void | Promise<void>;
  /** Chunk bytes per query, at least one chunk (default 8 MiB). */
  batchBytes?: number;
}

export async function readSnapshotArtifact(
  store: Store,
  id: number,
  allocate: (byteSize: number) => Uint8Array = (n) => new Uint8Array(n),
  { afterBatch, batchBytes = BATCH_BYTES }: ReadArtifactOptions = {},
): Promise<Uint8Array> {
  const row = await findRow(store, id);
  if (row === undefined) throw new FeedError('not_found', `model snapshot ${id} does not exist`);
  if (Number(row.complete) !== 1) {
    throw new FeedError(
      'not_found',
      `model snapshot ${id} is not completely written (a writer is at work, or stopped before the end)`,
    );
  }
  const meta = toMeta(row);
  const { byteSize, chunkCount, chunkBytes } = meta;
  const corrupt = (what: string) => new FeedError('store_failed', `model snapshot ${id} is damaged: ${what}`);
  if (
    !Number.isSafeInteger(byteSize) ||
    byteSize < 0 ||
    !Number.isSafeInteger(chunkBytes) ||
    chunkBytes < 1 ||
    chunkCount !== Math.ceil(byteSize / chunkBytes)
  ) {
    throw corrupt(`${byteSize} bytes do not fit ${chunkCount} chunks of ${chunkBytes} bytes`);
  }
  const out = allocate(byteSize);
  if (!(out instanceof Uint8Array) || out.length !== byteSize) {
    throw new FeedError(
      'internal',
      `allocate(${byteSize}) for model snapshot ${id} returned ${out instanceof Uint8Array ? `${out.length} bytes` : 'no Uint8Array'}`,
    );
  }
  const perBatch = batchChunks(chunkBytes, batchBytes);
  for (let first = 0; first < chunkCount; first += perBatch) {
    const end = Math.min(chunkCount, first + perBatch);
    const rows = await guard(`reading chunks ${first}..${end - 1} of model snapshot ${id}`, () =>
      store.db
        .selectFrom('ModelSnapshotChunk')
        .select(['seq', 'data'])
        .where('snapshot_id', '=', id)
        .where('seq', '>=', first)
        .where('seq', '<', end)
        .orderBy('seq')
        .execute(),
    );
    let seq = first;
    for (const r of rows) {
      if (Number(r.seq) !== seq) break;
      const expected = seq === chunkCount - 1 ? byteSize - seq * chunkBytes : chunkBytes;
      if (r.data.length !== expected) {
        throw corrupt(`chunk ${seq} holds ${r.data.length} bytes, expected ${expected}`);
      }
      out.set(r.data, seq * chunkBytes);
      seq++;
    }
    if (seq === end) await afterBatch?.(Math.min(byteSize, end * chunkBytes));
    if (seq < end) {
      // Deleted while we read? Then say so rather than call it damaged.
      if ((await getSnapshotArtifactMeta(store, id)) === null) {
        throw new FeedError('not_found', `model snapshot ${id} was deleted while being read`);
      }
      throw corrupt(`chunk ${seq} of ${chunkCount} is missing`);
    }
  }
  return out;
}

/**
 * Removes a snapshot and its chunks (a no-op when there is none of that id): unpublishes it, deletes its
 * chunks in short batches, then the row. A deleter that stops midway leaves an incomplete row that
 * `pruneSnapshotArtifacts` removes once it is 10 minutes old.
 * @example await deleteSnapshotArtifact(store, meta.id);
 */
export async function deleteSnapshotArtifact(store: Store, id: number): Promise<void> {
  await guard(`deleting model snapshot ${id}`, async () => {
    const row = await store.db
      .selectFrom('ModelSnapshot')
      .select(['chunk_bytes', 'complete'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (row !== undefined && Number(row.complete) !== 0) {
      await store.db.updateTable('ModelSnapshot').set({ complete: 0 }).where('id', '=', id).execute();
    }
    const top = await store.db
      .selectFrom('ModelSnapshotChunk')
      .select((eb) => eb.fn.max('seq').as('max'))
      .where('snapshot_id', '=', id)
      .executeTakeFirst();
    const maxSeq = top?.max === null || top?.max === undefined ? -1 : Number(top.max);
    const perBatch = batchChunks(row === undefined ? DEFAULT_CHUNK_BYTES : Number(row.chunk_bytes));
    for (let below = perBatch; below - perBatch <= maxSeq; below += perBatch) {
      const started = performance.now();
      await store.db
        .deleteFrom('ModelSnapshotChunk')
        .where('snapshot_id', '=', id)
        .where('seq', '<', below)
        .execute();
      await yieldWriteLock(store, performance.now() - started);
    }
    // The row, and whatever a writer still at work added meanwhile, together.
    await store.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('ModelSnapshot').where('id', '=', id).execute();
      await tx.deleteFrom('ModelSnapshotChunk').where('snapshot_id', '=', id).execute();
    });
  });
}

/**
 * Keeps the newest `keep` complete snapshots and removes older ones, and incomplete ones older than 10
 * minutes (abandoned by a writer that stopped); returns how many were removed.
 * @example const removed = await pruneSnapshotArtifacts(store, 3);
 */
export async function pruneSnapshotArtifacts(store: Store, keep: number): Promise<number> {
  assertInteger('keep', keep, 0);
  const ids = await guard('finding model snapshots to prune', async () => {
    const complete = await store.db
      .selectFrom('ModelSnapshot')
      .select('id')
      .where('complete', '=', 1)
      .orderBy('id', 'desc')
      .execute();
    const cutoff = new Date(Date.now() - ABANDONED_AFTER_MS).toISOString();
    const abandoned = await store.db
      .selectFrom('ModelSnapshot')
      .select('id')
      .where('complete', '=', 0)
      .where('created_at', '<', cutoff)
      .execute();
    return [...complete.slice(keep), ...abandoned].map((r) => Number(r.id));
  });
  for (const id of ids) await deleteSnapshotArtifact(store, id);
  return ids.length;
}
