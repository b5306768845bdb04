// Compressed sparse rows on typed arrays: the engine's one sparse-matrix shape.

/** A rows × cols sparse matrix: row r holds `indices[indptr[r]..indptr[r+1])` with `values` alongside. */
export interface Csr {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
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
