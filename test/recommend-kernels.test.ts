import { describe, expect, it } from 'vitest';
import { columnIndexArray, compactColumns, MAX_COMPACT_COLUMNS, transpose } from '../src/recommend/csr.js';
import { invertSpdInPlace } from '../src/recommend/linalg.js';
import { buildNeighbourRows, neighbourValue, SparseAccumulator } from '../src/recommend/models/neighbours.js';
import { analyze, analyzePrototype, buildTfidf } from '../src/recommend/text.js';
import { selectTopK } from '../src/recommend/topk.js';

describe('selectTopK', () => {
  it('returns the k best columns best first, ties broken by the lower column', () => {
    const scores = Float32Array.from([0.5, 0.9, 0.5, 0.1, 0.9, 0.7]);
    const out = new Int32Array(4);
    expect(selectTopK(scores, 4, null, null, out)).toBe(4);
    expect([...out]).toEqual([1, 4, 5, 0]);
  });

  it('skips excluded columns and scans only the candidates when given', () => {
    const scores = Float32Array.from([0.5, 0.9, 0.5, 0.1, 0.9, 0.7]);
    const excluded = Uint8Array.from([0, 1, 0, 0, 0, 0]);
    const out = new Int32Array(6);
    expect(selectTopK(scores, 6, excluded, null, out)).toBe(5);
    expect([...out.subarray(0, 5)]).toEqual([4, 5, 0, 2, 3]);
    expect(selectTopK(scores, 2, excluded, Int32Array.from([0, 1, 2, 3]), out)).toBe(2);
    expect([...out.subarray(0, 2)]).toEqual([0, 2]);
  });

  it('ranks NaN below every number and handles k = 0', () => {
    const scores = Float32Array.from([Number.NaN, -1, 2]);
    const out = new Int32Array(3);
    expect(selectTopK(scores, 3, null, null, out)).toBe(3);
    expect([...out]).toEqual([2, 1, 0]);
    expect(selectTopK(scores, 0, null, null, out)).toBe(0);
  });

  it('extends the top k for a smaller k when k grows, NaN ties included (they go by column)', () => {
    // The feed reads a ranking through a top-k buffer that may be re-selected with a larger k; that is
    // only sound if every smaller answer is a prefix of the larger one. Two NaNs used to compare as
    // "worse" both ways, so their order depended on k.
    const scores = Float32Array.from([Number.NaN, 3, Number.NaN, Number.NaN, 1, Number.NaN, 2, 1]);
    const out = new Int32Array(scores.length);
    const full = [...out.subarray(0, selectTopK(scores, scores.length, null, null, out))];
    expect(full).toEqual([1, 6, 4, 7, 0, 2, 3, 5]);
    for (let k = 1; k < scores.length; k++) {
      expect([...out.subarray(0, selectTopK(scores, k, null, null, out))]).toEqual(full.slice(0, k));
    }
  });
});

describe('invertSpdInPlace', () => {
  it('inverts a 3 × 3 SPD matrix to its hand-computed inverse', () => {
    // [[4,2,0],[2,3,1],[0,1,2]]: det = 4·5 − 2·4 = 12; inverse = adj / 12.
    const a = Float64Array.from([4, 2, 0, 2, 3, 1, 0, 1, 2]);
    invertSpdInPlace(a, 3);
    const expected = [5, -4, 2, -4, 8, -4, 2, -4, 8].map((v) => v / 12);
    expected.forEach((v, i) => {
      expect(a[i]).toBeCloseTo(v, 12);
    });
  });

  it('gives A·A⁻¹ = I for sizes around the four-row blocking', () => {
    for (const n of [1, 4, 5, 11]) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) a[i * n + j] = i === j ? n + 1 : 1 / (1 + i + j);
      }
      const inv = a.slice();
      invertSpdInPlace(inv, n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!;
          expect(s).toBeCloseTo(i === j ? 1 : 0, 10);
        }
      }
    }
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() => invertSpdInPlace(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });
});

describe('transpose', () => {
  it('turns rows into columns and records where each entry came from', () => {
    const m = {
      rows: 2,
      cols: 3,
      indptr: Int32Array.from([0, 2, 3]),
      indices: Int32Array.from([0, 2, 1]),
      values: Float32Array.from([1, 2, 3]),
    };
    const t = transpose(m, true);
    expect([...t.indptr]).toEqual([0, 1, 2, 3]);
    expect([...t.indices]).toEqual([0, 1, 0]);
    expect([...t.values]).toEqual([1, 3, 2]);
    expect([...t.origin!]).toEqual([0, 2, 1]);
  });
});

describe('compact column indices', () => {
  const matrix = (cols: number) => ({
    rows: 2,
    cols,
    indptr: Int32Array.from([0, 2, 3]),
    indices: Int32Array.from([0, cols - 1, 7]),
    values: Float32Array.from([1, 2, 3]),
  });

  it('stores columns in 16 bits up to 65,536 columns, and keeps 32 bits past that', () => {
    const small = compactColumns(matrix(MAX_COMPACT_COLUMNS));
    expect(small.indices).toBeInstanceOf(Uint16Array);
    expect([...small.indices]).toEqual([0, MAX_COMPACT_COLUMNS - 1, 7]);
    expect(small.values).toEqual(Float32Array.from([1, 2, 3]));
    const large = compactColumns(matrix(MAX_COMPACT_COLUMNS + 1));
    expect(large.indices).toBeInstanceOf(Int32Array);
    expect([...large.indices]).toEqual([0, MAX_COMPACT_COLUMNS, 7]);
    expect(columnIndexArray(MAX_COMPACT_COLUMNS, 3)).toBeInstanceOf(Uint16Array);
    expect(columnIndexArray(MAX_COMPACT_COLUMNS + 1, 3)).toBeInstanceOf(Int32Array);
  });

  it('builds neighbour rows with the same entries whichever index width the catalogue needs', () => {
    // Item i's neighbours: the last column and i + 1, so the largest index is the catalogue's last.
    const rows = (n: number) =>
      buildNeighbourRows(
        n,
        2,
        (i, acc) => {
          if (i >= 3) return;
          acc.add(n - 1, 1);
          acc.add(i + 1, 2);
        },
        (_i, _j, raw) => raw,
      );
    for (const n of [MAX_COMPACT_COLUMNS, MAX_COMPACT_COLUMNS + 10]) {
      const s = rows(n);
      expect(s.indices).toBeInstanceOf(n <= MAX_COMPACT_COLUMNS ? Uint16Array : Int32Array);
      expect([...s.indices.subarray(0, s.indptr[3]!)]).toEqual([1, n - 1, 2, n - 1, 3, n - 1]);
      expect(neighbourValue(s, 0, n - 1)).toBe(1);
      expect(neighbourValue(s, 2, 3)).toBe(2);
      const out = new Float32Array(n);
      const acc = new SparseAccumulator(out, new Int32Array(n), new Uint8Array(n));
      acc.addRow(s, 1, 0.5);
      expect([out[2], out[n - 1], acc.count]).toEqual([1, 0.5, 2]);
    }
  });
});

describe('text analysis', () => {
  it('lower-cases Unicode words, drops stop words and stems', () => {
    expect(analyze('The Running dogs were jumping over Zürich 2024!')).toEqual([
      'run',
      'dog',
      'jump',
      'zürich',
    ]);
  });

  it('tokenises like the prototype (two+ word characters, no stemming)', () => {
    expect(analyzePrototype('The Running dogs a b 42')).toEqual(['running', 'dogs', '42']);
  });

  it('builds smoothed-idf TF-IDF rows of unit length', () => {
    const { docs, vocabulary, idf } = buildTfidf([['cat', 'sat'], ['cat'], []]);
    // n = 3; df(cat) = 2, df(sat) = 1: idf = ln(4/3) + 1 and ln(4/2) + 1.
    expect(idf[vocabulary.get('cat')!]).toBeCloseTo(Math.log(4 / 3) + 1, 6);
    expect(idf[vocabulary.get('sat')!]).toBeCloseTo(Math.log(2) + 1, 6);
    const c = Math.log(4 / 3) + 1;
    const s = Math.log(2) + 1;
    const norm = Math.hypot(c, s);
    expect([...docs.values.subarray(0, 2)].map((v) => Number(v.toFixed(6)))).toEqual([
      Number((c / norm).toFixed(6)),
      Number((s / norm).toFixed(6)),
    ]);
    expect(docs.values[2]).toBeCloseTo(1, 6);
    expect(docs.indptr[3]! - docs.indptr[2]!).toBe(0);
  });

  it('keeps only the most frequent terms under maxFeatures', () => {
    const { vocabulary } = buildTfidf(
      [
        ['a1', 'a1', 'b1'],
        ['a1', 'c1', 'c1'],
      ],
      { maxFeatures: 2 },
    );
    expect([...vocabulary.keys()]).toEqual(['a1', 'c1']);
  });
});
