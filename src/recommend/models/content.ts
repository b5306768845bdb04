// `content`: TF-IDF vectors over summary, keywords, title and category (tokenised, stop words removed,
// stemmed); a user's profile is the recency-weighted sum of their posts' vectors, and posts are scored
// by their dot product with it (cosine up to the profile's norm). Inside the hybrid it scores sparsely:
// through the postings of the profile's terms when they are short enough, through each term's
// strongest posts (its "champion list") when the catalogue has outgrown that budget.
import type { Csr } from '../csr.js';
import type { HistoryRecency } from '../defaults.js';
import { recencyWeight, type UserHistory } from '../history.js';
import { defineModel, type ModelEnv } from '../model.js';
import { analyze, buildTfidf, scoreAgainstPostings } from '../text.js';
import { selectTopK } from '../topk.js';
import { SparseAccumulator } from './neighbours.js';

export interface ContentParams extends HistoryRecency {
  /** Repetitions of each field's tokens in a post's document (keywords and title count double). */
  fieldWeights: { summary: number; keywords: number; title: number; category: number };
  /** Terms kept in a user's profile vector (the strongest), bounding per-request cost. */
  maxProfileTerms: number;
  /**
   * Postings entries one sparse (in-blend) scoring may visit: under it, every post sharing a profile
   * term is scored exactly. Over it, each profile term brings its `championsPerTerm` strongest posts
   * with that term's part of their score (a lower bound of the dot product), and posts outside those
   * lists count as 0 in the blend.
   */
  maxPostings: number;
  championsPerTerm: number;
}

export interface ContentState {
  /** Post × term TF-IDF rows (unit length) and the term × post postings, each term's strongest first. */
  readonly docs: Csr;
  readonly postings: Csr;
}

/** A post's document: each field's tokens repeated by its field weight. */
function documentOf(
  post: { title: string; category: string | null; summary: string; keywords: string[] },
  fw: ContentParams['fieldWeights'],
): string[] {
  const tokens: string[] = [];
  const add = (text: string, times: number) => {
    const t = analyze(text);
    for (let r = 0; r < times; r++) tokens.push(...t);
  };
  add(post.summary, fw.summary);
  add(post.keywords.join(' '), fw.keywords);
  add(post.title, fw.title);
  add(post.category ?? '', fw.category);
  return tokens;
}

/** Cosine of two posts' TF-IDF rows (rows are unit length; merge of sorted term lists). */
export function cosine(m: Csr, a: number, b: number): number {
  let p = m.indptr[a]!;
  let q = m.indptr[b]!;
  const pe = m.indptr[a + 1]!;
  const qe = m.indptr[b + 1]!;
  let s = 0;
  while (p < pe && q < qe) {
    const tp = m.indices[p]!;
    const tq = m.indices[q]!;
    if (tp === tq) s += m.values[p++]! * m.values[q++]!;
    else if (tp < tq) p++;
    else q++;
  }
  return s;
}

/** A user's profile: its strongest terms and their weights, in scratch (valid until the next call). */
interface Profile {
  terms: Int32Array;
  weights: Float32Array;
  count: number;
}

/** The recency-weighted sum of the history's TF-IDF rows, cut to its `maxProfileTerms` strongest terms. */
function profileOf(
  state: ContentState,
  env: ModelEnv<ContentParams>,
  history: UserHistory,
  { halfLifeSteps, recencyFloor }: HistoryRecency,
): Profile {
  const { params, scratch } = env;
  const m = state.docs;
  const vocab = m.cols;
  const k = Math.max(1, params.maxProfileTerms);
  const profile = scratch.floats('content.profile', vocab);
  const mark = scratch.bytes('content.mark', vocab);
  const touched = scratch.ints('content.touched', vocab);
  const terms = scratch.ints('content.top', k);
  const weights = scratch.floats('content.topWeights', k);
  let count = 0;
  for (let h = 0; h < history.length; h++) {
    const c = history.cols[h]!;
    const w = recencyWeight(history.length, h, halfLifeSteps, recencyFloor);
    for (let q = m.indptr[c]!; q < m.indptr[c + 1]!; q++) {
      const t = m.indices[q]!;
      if (mark[t] === 0) {
        mark[t] = 1;
        touched[count++] = t;
      }
      profile[t]! += w * m.values[q]!;
    }
  }
  const n = selectTopK(profile, params.maxProfileTerms, null, touched.subarray(0, count), terms);
  for (let q = 0; q < n; q++) weights[q] = profile[terms[q]!]!;
  for (let t = 0; t < count; t++) {
    profile[touched[t]!] = 0;
    mark[touched[t]!] = 0;
  }
  return { terms, weights, count: n };
}

/** Sorts each postings row by weight, strongest first (ties by post), so a row's prefix is its champions. */
function strongestFirst(postings: Csr): Csr {
  const { indptr, indices, values } = postings;
  for (let t = 0; t < postings.rows; t++) {
    const start = indptr[t]!;
    const end = indptr[t + 1]!;
    const order = Array.from({ length: end - start }, (_, i) => start + i).sort(
      (a, b) => values[b]! - values[a]! || indices[a]! - indices[b]!,
    );
    const cols = order.map((k) => indices[k]!);
    const vals = order.map((k) => values[k]!);
    indices.set(cols, start);
    values.set(vals, start);
  }
  return postings;
}

export const contentModel = defineModel({
  name: 'content',
  optionsKey: 'content',
  selectable: true,
  blend: { weight: 0.25, coldWeight: 0.2 },
  defaults: {
    fieldWeights: { summary: 1, keywords: 2, title: 2, category: 1 },
    maxProfileTerms: 64,
    maxPostings: 8192,
    championsPerTerm: 16,
    halfLifeSteps: 5,
    recencyFloor: 0,
  } satisfies ContentParams as ContentParams,
  tune: { stage: 'standalone', grid: { halfLifeSteps: [Number.POSITIVE_INFINITY, 20, 10, 5, 2] } },
  /** One sublinear-TF TF-IDF row per post (columns in post-id order). */
  fit(ctx, params: ContentParams): ContentState {
    const { base, data } = ctx;
    const docs: string[][] = new Array(base.nPosts);
    for (const post of data.posts) docs[ctx.postColOf.get(post.id)!] = documentOf(post, params.fieldWeights);
    const index = buildTfidf(docs, { sublinearTf: true });
    return { docs: index.docs, postings: strongestFirst(index.postings) };
  },
  score(state, env, history, out, options) {
    out.fill(0);
    if (history.length === 0) return false;
    const p = profileOf(state, env, history, options?.recency ?? env.params);
    if (p.count === 0) return false;
    scoreAgainstPostings(state.postings, p.terms, p.weights, p.count, out);
    return true;
  },
  scoreSparse(state, env, history, out, touched, options) {
    if (history.length === 0) return null;
    const p = profileOf(state, env, history, options?.recency ?? env.params);
    if (p.count === 0) return null;
    const { postings } = state;
    const nPosts = env.base.nPosts;
    const acc = new SparseAccumulator(out, touched, env.scratch.bytes('content.hit', nPosts));
    let visits = 0;
    for (let q = 0; q < p.count; q++)
      visits += postings.indptr[p.terms[q]! + 1]! - postings.indptr[p.terms[q]!]!;
    const budget = env.params.maxPostings;
    if (visits <= budget) {
      // Every post sharing a term: the same sums, in the same order, as the dense score.
      for (let q = 0; q < p.count; q++) acc.addRow(postings, p.terms[q]!, p.weights[q]!);
    } else {
      // Each term brings its champions with that term's share of their score: a post's score is the part
      // of its dot product carried by the terms it is a champion of. Rescoring these candidates exactly
      // from their doc rows was 80 % of content's cost at 100k posts (a random read per candidate into the
      // catalogue's rows, growing with it) and ranked no better: hybrid NDCG@20 0.1249 exact vs 0.1262
      // partial on bench/model.ts data (20k users, 20k posts), 0.2519 vs 0.2534 on ml-100k forced over a 512 budget.
      const share = Math.max(1, env.params.championsPerTerm);
      for (let q = 0; q < p.count; q++) acc.addRow(postings, p.terms[q]!, p.weights[q]!, share);
    }
    acc.release();
    return { count: acc.count, floor: 0 };
  },
  explain(state, env, history, col) {
    let best = -1;
    let bestSim = 0;
    for (let h = 0; h < history.length; h++) {
      const s = cosine(state.docs, history.cols[h]!, col);
      if (s > bestSim) {
        bestSim = s;
        best = history.cols[h]!;
      }
    }
    return best < 0
      ? 'content: close to your profile'
      : `content: text similar to post ${env.base.postIds[best]} (cosine ${bestSim.toFixed(3)})`;
  },
});
