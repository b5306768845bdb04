// Partial top-k selection over a score buffer: a bounded min-heap, no full sort, no per-call big arrays.

/**
 * Column `a` scoring `sa` ranks before column `b` scoring `sb`: higher score, or the same score and a
 * lower column (ties go to the lower post id, because columns are ordered by post id). NaN ranks
 * lowest, and NaNs tie with each other. A strict total order, so the top k for a larger k extends the
 * top k for a smaller; merged rankings (`feed.ts`) use the same order.
 */
export function ranksBefore(sa: number, a: number, sb: number, b: number): boolean {
  if (sa !== sb) {
    if (Number.isNaN(sa)) return Number.isNaN(sb) && a < b;
    if (Number.isNaN(sb)) return true;
    return sa > sb;
  }
  return a < b;
}

/** `a` ranks below `b` in `scores`. */
const worse = (scores: Float32Array, a: number, b: number): boolean =>
  ranksBefore(scores[b]!, b, scores[a]!, a);

function siftDown(heap: Int32Array, size: number, start: number, scores: Float32Array): void {
  let i = start;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) return;
    const r = l + 1;
    let m = l;
    if (r < size && worse(scores, heap[r]!, heap[l]!)) m = r;
    if (!worse(scores, heap[m]!, heap[i]!)) return;
    const t = heap[i]!;
    heap[i] = heap[m]!;
    heap[m] = t;
    i = m;
  }
}

function siftUp(heap: Int32Array, pos: number, scores: Float32Array): void {
  let i = pos;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!worse(scores, heap[i]!, heap[p]!)) return;
    const t = heap[i]!;
    heap[i] = heap[p]!;
    heap[p] = t;
    i = p;
  }
}

/**
 * Writes the `k` best columns of `scores` into `out[0..n)`, best first, and returns n (≤ k).
 * Order: score descending, ties by column ascending. `excluded[c] !== 0` skips column c;
 * `candidates` (optional) restricts the scan to those columns. `out.length` must be ≥ k.
 *
 * @example selectTopK(scores, 20, seenMask, null, outBuffer) // → 20, outBuffer[0] is the best
 */
export function selectTopK(
  scores: Float32Array,
  k: number,
  excluded: Uint8Array | null,
  candidates: Int32Array | null,
  out: Int32Array,
): number {
  if (k <= 0) return 0;
  let size = 0;
  // Score of the heap's worst entry once the heap is full: most columns fail this test and cost one compare.
  let floor = Number.NEGATIVE_INFINITY;
  const n = candidates ? candidates.length : scores.length;
  for (let t = 0; t < n; t++) {
    const c = candidates ? candidates[t]! : t;
    if (scores[c]! < floor) continue;
    if (excluded && excluded[c] !== 0) continue;
    if (size < k) {
      out[size] = c;
      siftUp(out, size, scores);
      size++;
      if (size === k) floor = scores[out[0]!]!;
    } else if (worse(scores, out[0]!, c)) {
      out[0] = c;
      siftDown(out, size, 0, scores);
      floor = scores[out[0]!]!;
    }
  }
  // Heap sort: repeatedly move the worst to the end, leaving the best first.
  for (let end = size - 1; end > 0; end--) {
    const t = out[0]!;
    out[0] = out[end]!;
    out[end] = t;
    siftDown(out, end, 0, scores);
  }
  return size;
}
