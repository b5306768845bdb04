// Builds a sparse item × item matrix keeping the k strongest neighbours per item, from a per-item
// accumulation into a dense scratch row; shared by itemknn and the sequence signal.
import { type ColumnIndices, type Csr, CsrBuilder, compactColumns } from '../csr.js';
import { selectTopK } from '../topk.js';

/** Scratch for one item's accumulation: `acc[j]` per touched column j, listed in `touched`. */
export interface Accumulator {
  readonly acc: Float32Array;
  /** Adds `value` to column j. */
  add(j: number, value: number): void;
}

/**
 * For each item i: `accumulate(i, acc)` adds raw scores, `finish(i, j, raw)` turns them into the stored
 * similarity (≤ 0 drops the entry), and the `k` largest are kept, ordered by column. The result is
 * stored in snapshots, so its column indices are compact (see `ColumnIndices`).
 */
export function buildNeighbourRows(
  nItems: number,
  k: number,
  accumulate: (i: number, acc: Accumulator) => void,
  finish: (i: number, j: number, raw: number) => number,
): Csr<ColumnIndices> {
  const acc = new Float32Array(nItems);
  const mark = new Uint8Array(nItems);
  const touched = new Int32Array(nItems);
  let count = 0;
  const accumulator: Accumulator = {
    acc,
    add(j, value) {
      if (mark[j] === 0) {
        mark[j] = 1;
        touched[count++] = j;
      }
      acc[j]! += value;
    },
  };
  const best = new Int32Array(Math.max(1, k));
  const builder = new CsrBuilder(nItems, nItems * Math.min(k, 16));
  for (let i = 0; i < nItems; i++) {
    count = 0;
    accumulate(i, accumulator);
    for (let t = 0; t < count; t++) {
      const j = touched[t]!;
      acc[j] = j === i ? 0 : finish(i, j, acc[j]!);
    }
    const n = selectTopK(acc, k, null, touched.subarray(0, count), best);
    const row = best.subarray(0, n).sort();
    for (const j of row) if (acc[j]! > 0) builder.push(j, acc[j]!);
    builder.endRow();
    for (let t = 0; t < count; t++) {
      const j = touched[t]!;
      acc[j] = 0;
      mark[j] = 0;
    }
  }
  return compactColumns(builder.build());
}

/** out[j] += weight · S[i, j] for every stored neighbour j of i. */
export function addNeighbourRow(s: Csr<ColumnIndices>, i: number, weight: number, out: Float32Array): void {
  for (let k = s.indptr[i]!; k < s.indptr[i + 1]!; k++) out[s.indices[k]!]! += weight * s.values[k]!;
}

/** S[i, j], or 0 when j is not among i's kept neighbours (binary search in the sorted row). */
export function neighbourValue(s: Csr<ColumnIndices>, i: number, j: number): number {
  let lo = s.indptr[i]!;
  let hi = s.indptr[i + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = s.indices[mid]!;
    if (c === j) return s.values[mid]!;
    if (c < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

/** Sparse accumulation target: scores in `out`, first-touched columns listed in `touched`. */
export class SparseAccumulator {
  readonly mark: Uint8Array;
  count = 0;
  constructor(
    readonly out: Float32Array,
    readonly touched: Int32Array,
    mark: Uint8Array,
  ) {
    this.mark = mark;
  }

  /**
   * out[j] += weight · S[i, j] for every stored neighbour j of i (the first `limit` of the row only, when
   * given), recording new columns.
   */
  addRow(s: Csr<ColumnIndices>, i: number, weight: number, limit = Number.POSITIVE_INFINITY): void {
    const { out, mark, touched } = this;
    const end = Math.min(s.indptr[i + 1]!, s.indptr[i]! + limit);
    for (let k = s.indptr[i]!; k < end; k++) {
      const j = s.indices[k]!;
      if (mark[j] === 0) {
        mark[j] = 1;
        touched[this.count++] = j;
      }
      out[j]! += weight * s.values[k]!;
    }
  }

  /** Clears the marks (not the scores: the caller owns `out`). */
  release(): void {
    for (let t = 0; t < this.count; t++) this.mark[this.touched[t]!] = 0;
  }
}
