// The snapshot artifact: one binary file format for a fitted snapshot, written once by the builder and
// read (without copying its arrays) by every serving thread and process.
//
// Layout, little-endian:
//   0   8 bytes  magic "EVSNAP\r\n"
//   8   u32      format version
//   12  u32      header length in bytes (UTF-8 JSON)
//   16  f64      total length in bytes, trailer included
//   24  header   JSON: { meta, tree, arrays: [[type, byteOffset, length], …] }, padded to 8 bytes
//   …   arrays   each at an 8-byte aligned offset (so views need no copy)
//   end 32 bytes SHA-256 of every byte before it
// `tree` is the plain-data tree with each typed array replaced by {"$a": index}; non-finite numbers are
// spelled {"$n": "Infinity" | "-Infinity" | "NaN"} since JSON has none.
import { createHash } from 'node:crypto';
import { FeedError } from '../../shared/errors.js';
import type { PlainData, TypedArray, TypedArrayName } from './plain-data.js';
import { assertPlainData, TYPED_ARRAY_TYPES, typedArrayName } from './plain-data.js';

export const ARTIFACT_MAGIC = 'EVSNAP\r\n';
/**
 * Bump whenever the layout or the meaning of a stored state changes: older artifacts are then refused.
 * 2: content postings hold each term's strongest posts first (its champion list), `content.maxPostings`.
 * 3: precomputed rankings carry each user's fresh-post ranking.
 * 4: column indices of the item × item matrices and of the precomputed rankings are Uint16Array when
 *    the catalogue has at most 65,536 posts.
 */
export const ARTIFACT_FORMAT_VERSION = 4;
const PREFIX_BYTES = 24;
const TRAILER_BYTES = 32;

type ArrayEntry = [type: TypedArrayName, byteOffset: number, length: number];

interface Header<M> {
  meta: M;
  tree: unknown;
  arrays: ArrayEntry[];
}

const align8 = (n: number) => (n + 7) & ~7;

function toJsonTree(value: PlainData, arrays: TypedArray[]): unknown {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : { $n: String(value) };
  }
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) {
    arrays.push(value as TypedArray);
    return { $a: arrays.length - 1 };
  }
  if (Array.isArray(value)) return value.map((v: PlainData) => toJsonTree(v, arrays));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJsonTree(v as PlainData, arrays);
  return out;
}

function fromJsonTree(node: unknown, views: readonly TypedArray[]): PlainData {
  if (node === null || typeof node !== 'object') return node as PlainData;
  if (Array.isArray(node)) return node.map((v) => fromJsonTree(v, views));
  const obj = node as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === '$a') {
    const view = views[obj.$a as number];
    if (view === undefined) throw new Error(`array reference ${String(obj.$a)} out of range`);
    return view;
  }
  if (keys.length === 1 && keys[0] === '$n') return Number(obj.$n);
  const out: Record<string, PlainData> = {};
  for (const k of keys) out[k] = fromJsonTree(obj[k], views);
  return out;
}

export interface EncodeOptions {
  /** Back the bytes with a SharedArrayBuffer, so threads can share them without copies. */
  shared?: boolean;
}

export interface EncodedArtifact {
  bytes: Uint8Array;
  /** Hex SHA-256 (the trailer). */
  checksum: string;
}

/**
 * Writes `tree` (plain data) and `meta` (JSON) into one artifact.
 *
 * @example const { bytes } = encodeArtifact({ scores: new Float32Array([1, 2]) }, { note: 'x' });
 */
export function encodeArtifact<M>(
  tree: PlainData,
  meta: M,
  { shared = false }: EncodeOptions = {},
): EncodedArtifact {
  assertPlainData(tree, 'snapshot');
  const arrays: TypedArray[] = [];
  const jsonTree = toJsonTree(tree, arrays);
  // Offsets depend on where the data starts, which depends on the header's length: lay the arrays out
  // relative to the data start, measure the header with offsets of 0, and leave room for the digits
  // the real offsets add (at most 12 per array).
  const relative: number[] = [];
  let size = 0;
  for (const a of arrays) {
    relative.push(size);
    size = align8(size + a.byteLength);
  }
  const headerFor = (dataStart: number) => {
    const entries: ArrayEntry[] = arrays.map((a, i) => [
      typedArrayName(a)!,
      dataStart + relative[i]!,
      a.length,
    ]);
    return Buffer.from(JSON.stringify({ meta, tree: jsonTree, arrays: entries } satisfies Header<M>), 'utf8');
  };
  const dataStart = align8(PREFIX_BYTES + headerFor(0).length + 12 * arrays.length + 16);
  const header = headerFor(dataStart);
  if (PREFIX_BYTES + header.length > dataStart) throw new Error('artifact header outgrew its room');
  const total = dataStart + size + TRAILER_BYTES;
  const buffer = shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total);
  const bytes = new Uint8Array(buffer);
  bytes.set(Buffer.from(ARTIFACT_MAGIC, 'latin1'), 0);
  const view = new DataView(buffer);
  view.setUint32(8, ARTIFACT_FORMAT_VERSION, true);
  view.setUint32(12, header.length, true);
  view.setFloat64(16, total, true);
  bytes.set(header, PREFIX_BYTES);
  // Spaces after the JSON (inside the header's padded room) keep it valid JSON when read back whole.
  bytes.fill(0x20, PREFIX_BYTES + header.length, dataStart);
  arrays.forEach((a, i) => {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), dataStart + relative[i]!);
  });
  const digest = createHash('sha256')
    .update(bytes.subarray(0, total - TRAILER_BYTES))
    .digest();
  bytes.set(digest, total - TRAILER_BYTES);
  return { bytes, checksum: digest.toString('hex') };
}

export interface DecodedArtifact<M> {
  meta: M;
  tree: PlainData;
  formatVersion: number;
  byteSize: number;
  checksum: string;
}

const refuse = (why: string) => new FeedError('model_unavailable', `snapshot artifact refused: ${why}`);

/**
 * The format version and total length an artifact's first bytes announce, or a refusal (wrong magic,
 * foreign version) without reading further: what a loader checks before trusting the rest.
 */
export function readArtifactPrefix(bytes: Uint8Array): {
  formatVersion: number;
  byteSize: number;
  headerBytes: number;
} {
  if (bytes.length < PREFIX_BYTES + TRAILER_BYTES) throw refuse(`truncated (${bytes.length} bytes)`);
  if (Buffer.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, 8).toString('latin1') !== ARTIFACT_MAGIC) {
    throw refuse('not a snapshot artifact (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const formatVersion = view.getUint32(8, true);
  if (formatVersion !== ARTIFACT_FORMAT_VERSION) {
    throw refuse(`format version ${formatVersion}, this build reads version ${ARTIFACT_FORMAT_VERSION} only`);
  }
  return { formatVersion, byteSize: view.getFloat64(16, true), headerBytes: view.getUint32(12, true) };
}

export interface DecodeOptions {
  /** Check the checksum (default true); false for bytes verified before (by this process). */
  verify?: boolean;
  /** The body's SHA-256 computed while the bytes arrived (`ArtifactHasher`), instead of one pass here. */
  bodyDigest?: Uint8Array;
}

/**
 * The SHA-256 of an artifact's body, fed as the artifact's bytes land in `bytes` in order, for
 * `decodeArtifact`'s `bodyDigest`: a reader that verifies as it goes never holds its thread for one
 * pass over hundreds of MiB (85 ms at 156 MiB).
 * @example const h = new ArtifactHasher(out); …; h.advance(written); …; decodeArtifact(out, { bodyDigest: h.digest() });
 */
export class ArtifactHasher {
  private readonly hash = createHash('sha256');
  private hashed = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** The first `written` bytes of the artifact are in place. */
  advance(written: number): void {
    const end = Math.min(written, Math.max(0, this.bytes.length - TRAILER_BYTES));
    if (end <= this.hashed) return;
    this.hash.update(this.bytes.subarray(this.hashed, end));
    this.hashed = end;
  }

  /** The digest of the whole body (whatever was not fed yet is hashed now). */
  digest(): Buffer {
    this.advance(this.bytes.length);
    return this.hash.digest();
  }
}

/**
 * Reads an artifact back: checks magic, version, length and checksum, then returns the tree with every
 * typed array a view into `bytes` (no copy: a SharedArrayBuffer stays shared). Throws
 * `FeedError('model_unavailable')` saying why for a truncated, tampered or foreign artifact.
 *
 * @example const { tree, meta } = decodeArtifact(bytes);
 */
export function decodeArtifact<M>(bytes: Uint8Array, options: DecodeOptions = {}): DecodedArtifact<M> {
  const { verify = true, bodyDigest } = options;
  const { formatVersion, byteSize, headerBytes } = readArtifactPrefix(bytes);
  if (byteSize !== bytes.length) throw refuse(`length ${bytes.length} bytes, its header says ${byteSize}`);
  const body = bytes.subarray(0, byteSize - TRAILER_BYTES);
  const trailer = Buffer.from(
    bytes.buffer as ArrayBuffer,
    bytes.byteOffset + byteSize - TRAILER_BYTES,
    TRAILER_BYTES,
  );
  const checksum = trailer.toString('hex');
  const asBuffer = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  if (verify && !asBuffer(bodyDigest ?? createHash('sha256').update(body).digest()).equals(trailer)) {
    throw refuse('checksum mismatch (corrupt or tampered)');
  }
  let header: Header<M>;
  try {
    header = JSON.parse(
      Buffer.from(bytes.buffer as ArrayBuffer, bytes.byteOffset + PREFIX_BYTES, headerBytes).toString('utf8'),
    );
  } catch (error) {
    throw refuse(`unreadable header (${(error as Error).message})`);
  }
  const views = header.arrays.map(([type, offset, length]) => {
    const Ctor = TYPED_ARRAY_TYPES[type];
    if (Ctor === undefined) throw refuse(`unknown array type ${String(type)}`);
    const end = offset + length * Ctor.BYTES_PER_ELEMENT;
    if (offset % 8 !== 0 || end > byteSize - TRAILER_BYTES)
      throw refuse(`array out of bounds (${type} at ${offset})`);
    return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset + offset, length) as TypedArray;
  });
  return { meta: header.meta, tree: fromJsonTree(header.tree, views), formatVersion, byteSize, checksum };
}
