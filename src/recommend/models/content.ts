// `content`: TF-IDF vectors over summary, keywords, title and category (tokenised, stop words removed,
// stemmed); a user's profile is the recency-weighted sum of their posts' vectors, and posts are scored
// by their dot product with it (cosine up to the profile's norm).
import type { Csr } from '../csr.js';
import type { HistoryRecency } from '../defaults.js';
import { recencyWeight } from '../history.js';
import { defineModel } from '../model.js';
import { analyze, buildTfidf, scoreAgainstPostings } from '../text.js';
import { selectTopK } from '../topk.js';

export interface ContentParams extends HistoryRecency {
  /** Repetitions of each field's tokens in a post's document (keywords and title count double). */
  fieldWeights: { summary: number; keywords: number; title: number; category: number };
  /** Terms kept in a user's profile vector (the strongest), bounding per-request cost. */
  maxProfileTerms: number;
}

export interface ContentState {
  /** Post × term TF-IDF rows (unit length) and the term × post postings. */
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

export const contentModel = defineModel({
  name: 'content',
  optionsKey: 'content',
  selectable: true,
  blend: { weight: 0.25, coldWeight: 0.2 },
  defaults: {
    fieldWeights: { summary: 1, keywords: 2, title: 2, category: 1 },
    maxProfileTerms: 64,
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
    return { docs: index.docs, postings: index.postings };
  },
  score(state, env, history, out, options) {
    const { params, scratch } = env;
    const { halfLifeSteps, recencyFloor } = options?.recency ?? params;
    out.fill(0);
    if (history.length === 0) return false;
    const m = state.docs;
    const vocab = m.cols;
    const k = Math.max(1, params.maxProfileTerms);
    const profile = scratch.floats('content.profile', vocab);
    const mark = scratch.bytes('content.mark', vocab);
    const touched = scratch.ints('content.touched', vocab);
    const top = scratch.ints('content.top', k);
    const topWeights = scratch.floats('content.topWeights', k);
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
    const n = selectTopK(profile, params.maxProfileTerms, null, touched.subarray(0, count), top);
    for (let q = 0; q < n; q++) topWeights[q] = profile[top[q]!]!;
    for (let t = 0; t < count; t++) {
      profile[touched[t]!] = 0;
      mark[touched[t]!] = 0;
    }
    if (n === 0) return false;
    scoreAgainstPostings(state.postings, top, topWeights, n, out);
    return true;
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
