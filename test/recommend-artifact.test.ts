import { describe, expect, it } from 'vitest';
import { tuneGridOf } from '../src/eval/tune.js';
import {
  ARTIFACT_FORMAT_VERSION,
  ArtifactHasher,
  decodeSnapshot,
  defineModel,
  encodeArtifact,
  encodeSnapshot,
  fitSnapshot,
  MODEL_NAMES,
  MODEL_REGISTRY,
  type ModelSnapshot,
  openSnapshot,
  rankForUser,
  recommendFeed,
  resolveBuildOptions,
} from '../src/recommend/index.js';
import { SYNTHETIC_TIME, syntheticTrainingData } from './support/synthetic-training.js';

// A fitted model is plain data: it goes through the binary artifact and comes back scoring the same.

const data = syntheticTrainingData(5);
const fitted = fitSnapshot(data, { models: [...MODEL_NAMES], ials: { factors: 8, iterations: 2 } });
const users = [...data.users];

/** Every model's top 20 for every user, the composed feed with live events and explanations. */
function everything(s: ModelSnapshot): unknown[] {
  const out: unknown[] = [];
  for (const userId of users) {
    for (const model of MODEL_NAMES) out.push(rankForUser(s, { userId, model, k: 20, fallback: true }));
    out.push(recommendFeed(s, { userId, pageSize: 15, category: userId % 3 === 0 ? 'music' : undefined }));
  }
  out.push(
    recommendFeed(s, {
      userId: 9,
      pageSize: 10,
      explain: true,
      liveEvents: [{ postId: 503, kind: 'like', at: SYNTHETIC_TIME.NOW + 60 }],
    }),
  );
  return out;
}

describe('snapshot artifact', () => {
  const expected = everything(openSnapshot(fitted));

  it('round-trips every model: identical rankings, scores, feeds and explanations', () => {
    const { bytes, checksum } = encodeSnapshot(fitted, { note: 'test' });
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    const decoded = decodeSnapshot<{ note: string }>(bytes);
    expect(decoded.meta).toEqual({ note: 'test' });
    expect(decoded.checksum).toBe(checksum);
    expect(decoded.byteSize).toBe(bytes.length);
    expect(everything(openSnapshot(decoded.data))).toEqual(expected);
    // The stored column indices keep their compact type (this catalogue has far fewer than 65,536 posts).
    const similarity = (decoded.data.states.itemknn as { similarity: { indices: unknown } }).similarity;
    expect(similarity.indices).toBeInstanceOf(Uint16Array);
    expect((decoded.data.states.sequence as { next: { indices: unknown } }).next.indices).toBeInstanceOf(
      Uint16Array,
    );
    // Non-finite options survive JSON (Infinity half-lives).
    expect(decoded.data.options.itemknn.halfLifeSteps).toBe(Number.POSITIVE_INFINITY);
  });

  it('shares a SharedArrayBuffer-backed artifact without copying its arrays', () => {
    const { bytes } = encodeSnapshot(fitted, {}, { shared: true });
    expect(bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    const { data: shared } = decodeSnapshot(bytes);
    expect(shared.base.userItems.indices.buffer).toBe(bytes.buffer);
    expect((shared.states.ease as { weights: Float32Array }).weights.buffer).toBe(bytes.buffer);
    expect(everything(openSnapshot(shared))).toEqual(expected);
  });

  it('refuses truncated, tampered and foreign-version artifacts, saying why', () => {
    const { bytes } = encodeSnapshot(fitted, {});
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.length - 100))).toThrow(/refused: length/);
    expect(() => decodeSnapshot(bytes.subarray(0, 10))).toThrow(/refused: truncated/);
    const tampered = Uint8Array.from(bytes);
    tampered[Math.floor(tampered.length / 2)]! ^= 0xff;
    expect(() => decodeSnapshot(tampered)).toThrow(/checksum mismatch/);
    const foreign = Uint8Array.from(bytes);
    new DataView(foreign.buffer).setUint32(8, ARTIFACT_FORMAT_VERSION + 1, true);
    expect(() => decodeSnapshot(foreign)).toThrow(/format version \d+, this build reads version \d+ only/);
    const notOurs = Uint8Array.from(bytes);
    notOurs[0] = 0x50;
    expect(() => decodeSnapshot(notOurs)).toThrow(/bad magic/);
  });

  it('verifies with a digest computed while the bytes arrived, chunk by chunk', () => {
    const { bytes } = encodeSnapshot(fitted, {});
    const arriving = new Uint8Array(bytes.length);
    const hasher = new ArtifactHasher(arriving);
    for (let at = 0; at < bytes.length; at += 4096) {
      const end = Math.min(bytes.length, at + 4096);
      arriving.set(bytes.subarray(at, end), at);
      hasher.advance(end);
    }
    const decoded = decodeSnapshot(arriving, { bodyDigest: hasher.digest() });
    expect(decoded.checksum).toBe(decodeSnapshot(bytes).checksum);
    // A changed byte, or a digest of other bytes: refused, as a full pass would.
    arriving[100]! ^= 0xff;
    expect(() => decodeSnapshot(arriving, { bodyDigest: new ArtifactHasher(arriving).digest() })).toThrow(
      /checksum mismatch/,
    );
    arriving[100]! ^= 0xff;
    expect(() => decodeSnapshot(arriving, { bodyDigest: new Uint8Array(32) })).toThrow(/checksum mismatch/);
  });

  it('refuses a state that is not plain data (a closure or a Map)', () => {
    expect(() => encodeArtifact({ f: (() => 1) as never }, {})).toThrow(/snapshot\.f: not plain data/);
    expect(() => encodeArtifact({ m: new Map() as never }, {})).toThrow(
      /snapshot\.m: not plain data \(Map\)/,
    );
  });
});

describe('model registry', () => {
  // A toy model that scores posts by column parity: its file is this definition, its registry the line below.
  const toyModel = defineModel({
    name: 'toy',
    optionsKey: 'toy',
    selectable: true,
    blend: { weight: 0.3, coldWeight: 0 },
    defaults: { even: 1, odd: 0.5 },
    tune: { stage: 'standalone', grid: { odd: [0, 0.5, 2] } },
    fit: (ctx, params: { even: number; odd: number }) => ({
      scores: Float32Array.from({ length: ctx.base.nPosts }, (_, c) =>
        c % 2 === 0 ? params.even : params.odd,
      ),
    }),
    score(state, _env, history, out) {
      if (history.length === 0) return false;
      out.set(state.scores);
      return true;
    },
  });
  const registry = [...MODEL_REGISTRY, toyModel];

  it('drives names, options, blend weights, fitting, feeds, the artifact and the tuning grid', () => {
    const options = resolveBuildOptions({ models: ['toy', 'hybrid'], toy: { odd: 2 } }, { registry });
    expect(options.toy).toEqual({ even: 1, odd: 2 });
    expect(options.hybrid.weights.toy).toBe(0.3);
    expect(() => resolveBuildOptions({ models: ['toy'] })).toThrow(/unknown model 'toy'/);

    const toyData = fitSnapshot(data, { models: ['toy', 'hybrid'], toy: { odd: 2 } }, { registry });
    expect(Object.keys(toyData.states)).toContain('toy');
    const s = openSnapshot(toyData, { registry });
    const ranked = rankForUser(s, { userId: 4, model: 'toy', k: 3 });
    expect(ranked.every((r) => r.score === 2)).toBe(true);
    expect(s.components.has('toy')).toBe(true);
    const reopened = openSnapshot(decodeSnapshot(encodeSnapshot(toyData, {}).bytes).data, { registry });
    expect(recommendFeed(reopened, { userId: 4, pageSize: 10 })).toEqual(
      recommendFeed(s, { userId: 4, pageSize: 10 }),
    );
    expect(tuneGridOf(registry).models.toy).toEqual({ odd: [0, 0.5, 2] });
  });
});
