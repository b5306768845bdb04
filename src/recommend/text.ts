// Text to sparse vectors for the content models: a Unicode tokenizer, English stop words, Porter stems,
// and TF-IDF matrices (one tuned for the content model, one matching the prototype's scikit-learn setup).
import { stemmer } from 'stemmer';
import { eng } from 'stopword';
import type { Csr } from './csr.js';
import { transpose } from './csr.js';

const WORD = /\p{L}[\p{L}\p{N}]*/gu;
const STOP_WORDS: ReadonlySet<string> = new Set(eng);

/** Lower-cased words (a letter, then letters or digits), stop words removed, Porter-stemmed. */
export function analyze(text: string): string[] {
  const out: string[] = [];
  for (const match of text.toLowerCase().matchAll(WORD)) {
    const word = match[0];
    if (STOP_WORDS.has(word)) continue;
    out.push(word.length > 2 ? stemmer(word) : word);
  }
  return out;
}

/**
 * The prototype's tokenisation (scikit-learn `TfidfVectorizer` defaults): lower-cased runs of two or more
 * word characters, English stop words removed, no stemming. The stop-word list is the `stopword`
 * package's English list rather than scikit-learn's (a slightly shorter list; a documented difference).
 */
export function analyzePrototype(text: string): string[] {
  const out: string[] = [];
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}_]{2,}/gu)) {
    if (!STOP_WORDS.has(match[0])) out.push(match[0]);
  }
  return out;
}

/** Post × term TF-IDF rows (L2-normalised; an empty document is a zero row) and its term × post transpose. */
export interface TfidfIndex {
  readonly docs: Csr;
  readonly postings: Csr;
  readonly vocabulary: ReadonlyMap<string, number>;
  readonly idf: Float32Array;
}

export interface TfidfOptions {
  /** Keep only the `maxFeatures` terms most frequent over the corpus (ties by term); 0 = all. */
  maxFeatures?: number;
  /** Term frequency: raw count (scikit-learn default) or 1 + ln(count). */
  sublinearTf?: boolean;
}

/**
 * Builds TF-IDF vectors for token lists with scikit-learn's smoothed idf, ln((1+n)/(1+df)) + 1, and L2 norm.
 *
 * @example buildTfidf([['cat', 'sat'], ['cat']]).docs // 2 × 2, rows unit length
 */
export function buildTfidf(documents: readonly string[][], options: TfidfOptions = {}): TfidfIndex {
  const { maxFeatures = 0, sublinearTf = false } = options;
  const totals = new Map<string, number>();
  for (const doc of documents) for (const t of doc) totals.set(t, (totals.get(t) ?? 0) + 1);
  let terms = [...totals.keys()].sort();
  if (maxFeatures > 0 && terms.length > maxFeatures) {
    terms = terms
      .map((t, i) => ({ t, i, n: totals.get(t)! }))
      .sort((a, b) => b.n - a.n || a.i - b.i)
      .slice(0, maxFeatures)
      .map((e) => e.t)
      .sort();
  }
  const vocabulary = new Map<string, number>();
  for (let i = 0; i < terms.length; i++) vocabulary.set(terms[i]!, i);

  const indptr = new Int32Array(documents.length + 1);
  const rowsTerms: Int32Array[] = [];
  const rowsCounts: Float32Array[] = [];
  const df = new Float64Array(terms.length);
  let nnz = 0;
  for (let d = 0; d < documents.length; d++) {
    const counts = new Map<number, number>();
    for (const t of documents[d]!) {
      const id = vocabulary.get(t);
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const ids = Int32Array.from(counts.keys()).sort();
    const cs = new Float32Array(ids.length);
    for (let k = 0; k < ids.length; k++) {
      cs[k] = counts.get(ids[k]!)!;
      df[ids[k]!]!++;
    }
    rowsTerms.push(ids);
    rowsCounts.push(cs);
    nnz += ids.length;
    indptr[d + 1] = nnz;
  }
  const n = documents.length;
  const idf = new Float32Array(terms.length);
  for (let t = 0; t < terms.length; t++) idf[t] = Math.log((1 + n) / (1 + df[t]!)) + 1;

  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  for (let d = 0; d < n; d++) {
    const ids = rowsTerms[d]!;
    const cs = rowsCounts[d]!;
    const start = indptr[d]!;
    let norm = 0;
    for (let k = 0; k < ids.length; k++) {
      const tf = sublinearTf ? 1 + Math.log(cs[k]!) : cs[k]!;
      const v = tf * idf[ids[k]!]!;
      indices[start + k] = ids[k]!;
      values[start + k] = v;
      norm += v * v;
    }
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let k = 0; k < ids.length; k++) values[start + k]! *= inv;
    }
  }
  const docs: Csr = { rows: n, cols: terms.length, indptr, indices, values };
  return { docs, postings: transpose(docs), vocabulary, idf };
}

/**
 * Dot products of one sparse query (term ids + weights) with every document: `out[d] += q · doc_d`
 * through the postings lists. `out` must be zeroed by the caller when it wants plain dot products.
 */
export function scoreAgainstPostings(
  postings: Csr,
  queryTerms: ArrayLike<number>,
  queryWeights: ArrayLike<number>,
  queryLength: number,
  out: Float32Array,
): void {
  // Locals and a precomputed end: V8 cannot prove that stores into `out` leave the postings' typed
  // arrays unchanged, and would reload them on every step of this, the content model's hottest loop.
  const { indptr, indices, values } = postings;
  for (let q = 0; q < queryLength; q++) {
    const t = queryTerms[q]!;
    const w = queryWeights[q]!;
    const end = indptr[t + 1]!;
    for (let k = indptr[t]!; k < end; k++) out[indices[k]!]! += w * values[k]!;
  }
}
