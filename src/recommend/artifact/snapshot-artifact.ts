// A fitted snapshot as an artifact: `SnapshotData` (plain data) plus caller metadata (what data it
// covers, when it was built) in the versioned binary format of `format.ts`.
import type { SnapshotData } from '../snapshot.js';
import {
  type DecodeOptions,
  decodeArtifact,
  type EncodedArtifact,
  type EncodeOptions,
  encodeArtifact,
} from './format.js';
import type { PlainData } from './plain-data.js';

/**
 * Encodes a fitted snapshot and `meta` (JSON) into one artifact.
 * @example const { bytes, checksum } = encodeSnapshot(fitSnapshot(data), { builtAt: new Date().toISOString() });
 */
export function encodeSnapshot<M>(data: SnapshotData, meta: M, options: EncodeOptions = {}): EncodedArtifact {
  const tree = {
    base: data.base,
    states: data.states,
    options: data.options,
    stats: data.stats,
    freshCols: data.freshCols,
    ...(data.rankings ? { rankings: data.rankings } : {}),
  } as unknown as PlainData;
  return encodeArtifact(tree, meta, options);
}

export interface DecodedSnapshot<M> {
  data: SnapshotData;
  meta: M;
  byteSize: number;
  checksum: string;
}

/**
 * Reads a snapshot artifact back (views into `bytes`, no copy), refusing a truncated, tampered or
 * foreign-version one with `FeedError('model_unavailable')`.
 * @example const { data } = decodeSnapshot(bytes); const snapshot = openSnapshot(data);
 */
export function decodeSnapshot<M>(bytes: Uint8Array, options: DecodeOptions = {}): DecodedSnapshot<M> {
  const decoded = decodeArtifact<M>(bytes, options);
  return {
    data: decoded.tree as unknown as SnapshotData,
    meta: decoded.meta,
    byteSize: decoded.byteSize,
    checksum: decoded.checksum,
  };
}
