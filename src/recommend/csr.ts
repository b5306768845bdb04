// Compressed sparse rows on typed arrays: the engine's one sparse-matrix shape.

/**
 * Column indices of a stored matrix or list: 16-bit when every column fits (a catalogue of at most
 * 65,536 posts), else 32-bit. The item × item matrices and per-user rankings are most of a snapshot, and
 * their column indices half of those: halving them shrinks each snapshot (and the swap's two
 * generations) by tens of MiB at 20k posts. A deployment sees one type per array, so loops reading them
 * stay monomorphic.
 */
export type ColumnIndices = Int32Array | Uint16Array;

/** Largest column count whose indices fit `Uint16Array`. */
export const MAX_COMPACT_COLUMNS = 0x10000;

/** A zeroed index array of `length` for columns `0 .. cols - 1`: Uint16Array when they fit, else Int32. */
export function columnIndexArray(cols: number, length: number): ColumnIndices {
  return cols <= MAX_COMPACT_COLUMNS ? new Uint16Array(length) : new Int32Array(length);
}

/**
 * A rows × cols sparse matrix: row r holds `indices[indptr[r]..indptr[r+1])` with `values` alongside.
 * Matrices built and used inside one build keep Int32Array indices (the default); stored ones may be
 * compact (`compactColumns`).
 */
export interface Csr<I extends ColumnIndices = Int32Array> {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: I;
  readonly values: Float32Array;
}

/** `m` with its column indices in the smallest array that holds them (see `ColumnIndices`). */
export function compactColumns(m: Csr): Csr<ColumnIndices> {
  if (m.cols > MAX_COMPACT_COLUMNS) return m;
  return { ...m, indices: Uint16Array.from(m.indices) };
}

/**
 * Transposes `m`; each output row is ordered by source row. `origin[k]` (when asked for) is the position
 * in `m.indices` that output entry k came from, so callers can carry other per-entry arrays across.
 */
export function transpose(m: Csr, withOrigin = false): Csr & { origin: Int32Array | null } {
  const nnz = m.indptr[m.rows]!;
  const indptr = new Int32Array(m.cols + 1);
  for (let k = 0; k < nnz; k++) indptr[m.indices[k]! + 1]!++;
  for (let c = 0; c < m.cols; c++) indptr[c + 1]! += indptr[c]!;
  const fill = indptr.slice(0, m.cols);
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  const origin = withOrigin ? new Int32Array(nnz) : null;
  for (let r = 0; r < m.rows; r++) {
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) {
      const c = m.indices[k]!;
      const at = fill[c]!++;
      indices[at] = r;
      values[at] = m.values[k]!;
      if (origin) origin[at] = k;
    }
  }
  return { rows: m.cols, cols: m.rows, indptr, indices, values, origin };
}

/** Builds a Csr from per-row lists collected during a build (row r's entries appended in order). */
export class CsrBuilder {
  private indptr: number[] = [0];
  private indices: Int32Array;
  private values: Float32Array;
  private size = 0;

  constructor(
    private readonly cols: number,
    initialCapacity = 1024,
  ) {
    this.indices = new Int32Array(Math.max(16, initialCapacity));
    this.values = new Float32Array(Math.max(16, initialCapacity));
  }

  push(col: number, value: number): void {
    if (this.size === this.indices.length) {
      const indices = new Int32Array(this.indices.length * 2);
      indices.set(this.indices);
      const values = new Float32Array(this.values.length * 2);
      values.set(this.values);
      this.indices = indices;
      this.values = values;
    }
    this.indices[this.size] = col;
    this.values[this.size] = value;
    this.size++;
  }

  endRow(): void {
    this.indptr.push(this.size);
  }

  build(): Csr {
    return {
      rows: this.indptr.length - 1,
      cols: this.cols,
      indptr: Int32Array.from(this.indptr),
      indices: this.indices.slice(0, this.size),
      values: this.values.slice(0, this.size),
    };
  }
}
