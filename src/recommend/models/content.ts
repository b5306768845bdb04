// `content`: TF-IDF vectors over summary, keywords, title and category (tokenised, stop words removed,
// stemmed); a user's profile is the recency-weighted sum of their posts' vectors, and posts are scored
// by their dot product with it (cosine up to the profile's norm).
import type { BuildContext } from '../base.js';
import type { ContentParams } from '../defaults.js';
import { recencyWeight } from '../history.js';
import type { TfidfIndex } from '../text.js';
import { analyze, buildTfidf, scoreAgainstPostings } from '../text.js';
import { selectTopK } from '../topk.js';
import type { Recommender } from './recommender.js';

export interface ContentModel extends Recommender {
  readonly index: TfidfIndex;
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

/** Fits the content model: one sublinear-TF TF-IDF row per post (columns in post-id order). */
export function fitContent(ctx: BuildContext, params: ContentParams): ContentModel {
  const { base, data } = ctx;
  const docs: string[][] = new Array(base.nPosts);
  for (const post of data.posts) docs[base.postColOf.get(post.id)!] = documentOf(post, params.fieldWeights);
  const index = buildTfidf(docs, { sublinearTf: true });
  const { docs: m, postings } = index;
  const vocab = m.cols;
  const profile = new Float32Array(vocab);
  const mark = new Uint8Array(vocab);
  const touched = new Int32Array(vocab);
  const top = new Int32Array(Math.max(1, params.maxProfileTerms));
  const topWeights = new Float32Array(Math.max(1, params.maxProfileTerms));

  return {
    name: 'content',
    index,
    scoreUser(history, out, options) {
      const { halfLifeSteps, recencyFloor } = options?.recency ?? params;
      out.fill(0);
      if (history.length === 0) return false;
      let count = 0;
      for (let h = 0; h < history.length; h++) {
        const c = history.cols[h]!;
        const w = recencyWeight(history.length, h, halfLifeSteps, recencyFloor);
        for (let k = m.indptr[c]!; k < m.indptr[c + 1]!; k++) {
          const t = m.indices[k]!;
          if (mark[t] === 0) {
            mark[t] = 1;
            touched[count++] = t;
          }
          profile[t]! += w * m.values[k]!;
        }
      }
      const n = selectTopK(profile, params.maxProfileTerms, null, touched.subarray(0, count), top);
      for (let q = 0; q < n; q++) topWeights[q] = profile[top[q]!]!;
      for (let t = 0; t < count; t++) {
        profile[touched[t]!] = 0;
        mark[touched[t]!] = 0;
      }
      if (n === 0) return false;
      scoreAgainstPostings(postings, top, topWeights, n, out);
      return true;
    },
    explain(history, col) {
      let best = -1;
      let bestSim = 0;
      for (let h = 0; h < history.length; h++) {
        const s = cosine(index, history.cols[h]!, col);
        if (s > bestSim) {
          bestSim = s;
          best = history.cols[h]!;
        }
      }
      return best < 0
        ? 'content: close to your profile'
        : `content: text similar to post ${base.postIds[best]} (cosine ${bestSim.toFixed(3)})`;
    },
  };
}

/** Cosine of two posts' TF-IDF rows (rows are unit length; merge of sorted term lists). */
export function cosine(index: TfidfIndex, a: number, b: number): number {
  const m = index.docs;
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
