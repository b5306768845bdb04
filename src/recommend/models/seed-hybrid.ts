// `seed-hybrid`: the Python prototype's algorithm, re-implemented faithfully as the baseline:
//   collaborative = Σ over the 10 most cosine-similar users of similarity × their interaction row
//                   (rows weighted like 1, view 0.5, inspire 1.5, rating > 50 % adds rating/100; summed)
//   content(p)    = Σ over the posts the user interacted with (each once, any kind) of cos(q, p), TF-IDF
//                   over summary + keywords (the prototype's sum over `content_similarity_df.loc[post]`)
//   final         = (0.6 · collaborative + 0.4 · content) × 1.2 for posts in the user's 3 most frequent
//                   categories (counted over the posts they interacted with; no category = 'Unknown')
// Seen posts are removed and the category filter applied by the feed; the prototype returned the top 10
// and an empty list for users without interactions (here: scoreUser returns false).
// Differences, all deliberate: ties are broken by user / post id (pandas' order there is arbitrary), the
// similarity is computed sparsely per request instead of as a dense users × users matrix, and the
// stop-word list is the `stopword` package's English list.
import type { Csr } from '../csr.js';
import type { UserHistory } from '../history.js';
import { defineModel, type ModelEnv } from '../model.js';
import { analyzePrototype, buildTfidf, scoreAgainstPostings } from '../text.js';
import { selectTopK } from '../topk.js';

/** The Python prototype's constants, kept as they were. */
export interface SeedHybridParams {
  neighbours: number;
  collaborativeWeight: number;
  contentWeight: number;
  categoryBoost: number;
  topCategories: number;
  maxFeatures: number;
}

export interface SeedHybridState {
  /** TF-IDF over summary + keywords as the prototype's TfidfVectorizer saw them, and its postings. */
  readonly docs: Csr;
  readonly postings: Csr;
  /** Row norms of the prototype-weighted interaction matrix. */
  readonly userNorm: Float64Array;
  /** Index of the category named 'Unknown' (the prototype's label for none), or −1. */
  readonly unknownCategory: number;
}

type Env = ModelEnv<SeedHybridParams>;

/** Cosine similarities to every other user; returns the number of users touched (sims > 0 possible). */
function similarities(state: SeedHybridState, env: Env, history: UserHistory): number {
  const { base, scratch } = env;
  const iu = base.itemUsers;
  const sims = scratch.floats('seed.sims', base.nUsers);
  const mark = scratch.bytes('seed.mark', base.nUsers);
  const touched = scratch.ints('seed.touched', base.nUsers);
  let count = 0;
  let norm = 0;
  for (let h = 0; h < history.length; h++) {
    const w = history.protoWeights[h]!;
    norm += w * w;
    if (w === 0) continue;
    const c = history.cols[h]!;
    for (let k = iu.indptr[c]!; k < iu.indptr[c + 1]!; k++) {
      const v = iu.indices[k]!;
      if (v === history.userRow) continue;
      if (mark[v] === 0) {
        mark[v] = 1;
        touched[count++] = v;
      }
      sims[v]! += w * iu.proto[k]!;
    }
  }
  norm = Math.sqrt(norm);
  for (let t = 0; t < count; t++) {
    const v = touched[t]!;
    const d = norm * state.userNorm[v]!;
    sims[v] = d > 0 ? sims[v]! / d : 0;
  }
  return count;
}

/**
 * The user's neighbours (snapshot user rows) and similarities for a history, best first.
 * @example seedHybridNeighbours(state, env, userHistory(base, 1)).rows
 */
export function seedHybridNeighbours(
  state: SeedHybridState,
  env: Env,
  history: UserHistory,
): { rows: Int32Array; similarities: Float32Array } {
  const { base, params, scratch } = env;
  const count = similarities(state, env, history);
  const sims = scratch.floats('seed.sims', base.nUsers);
  const mark = scratch.bytes('seed.mark', base.nUsers);
  const touched = scratch.ints('seed.touched', base.nUsers);
  const best = scratch.ints('seed.best', Math.max(1, params.neighbours));
  const n = selectTopK(sims, params.neighbours, null, touched.subarray(0, count), best);
  const rows = best.slice(0, n);
  const similarityValues = new Float32Array(n);
  for (let q = 0; q < n; q++) similarityValues[q] = sims[rows[q]!]!;
  for (let t = 0; t < count; t++) {
    sims[touched[t]!] = 0;
    mark[touched[t]!] = 0;
  }
  // Neighbours with similarity 0 add nothing; the prototype's list may hold them, ours drops them.
  let kept = n;
  while (kept > 0 && !(similarityValues[kept - 1]! > 0)) kept--;
  return { rows: rows.subarray(0, kept), similarities: similarityValues.subarray(0, kept) };
}

export const seedHybridModel = defineModel({
  name: 'seed-hybrid',
  optionsKey: 'seedHybrid',
  selectable: true,
  defaults: {
    neighbours: 10,
    collaborativeWeight: 0.6,
    contentWeight: 0.4,
    categoryBoost: 1.2,
    topCategories: 3,
    maxFeatures: 5000,
  } satisfies SeedHybridParams as SeedHybridParams,
  /** The prototype's TF-IDF index and the row norms of its interaction matrix. */
  fit(ctx, params: SeedHybridParams): SeedHybridState {
    const { base, data } = ctx;
    const ui = base.userItems;
    // TF-IDF over summary + ' ' + keywords, as the prototype's TfidfVectorizer(stop_words='english',
    // max_features=5000) saw them.
    const docs: string[][] = new Array(base.nPosts);
    for (const post of data.posts) {
      docs[ctx.postColOf.get(post.id)!] = analyzePrototype(`${post.summary} ${post.keywords.join(' ')}`);
    }
    const tfidf = buildTfidf(docs, { maxFeatures: params.maxFeatures });
    const userNorm = new Float64Array(base.nUsers);
    for (let u = 0; u < base.nUsers; u++) {
      let s = 0;
      for (let k = ui.indptr[u]!; k < ui.indptr[u + 1]!; k++) s += ui.proto[k]! ** 2;
      userNorm[u] = Math.sqrt(s);
    }
    return {
      docs: tfidf.docs,
      postings: tfidf.postings,
      userNorm,
      unknownCategory: base.categoryNames.indexOf('Unknown'),
    };
  },
  score(state, env, history, out) {
    if (history.length === 0) return false;
    const { base, params, scratch } = env;
    const ui = base.userItems;
    const m = state.docs;
    // Category label per post as the prototype saw it: the name, or 'Unknown' (index −1 here).
    const label = (c: number) => {
      const cat = base.postCategory[c]!;
      return cat < 0 ? state.unknownCategory : cat;
    };
    // Collaborative part.
    out.fill(0);
    const nb = seedHybridNeighbours(state, env, history);
    for (let q = 0; q < nb.rows.length; q++) {
      const v = nb.rows[q]!;
      const s = nb.similarities[q]!;
      for (let k = ui.indptr[v]!; k < ui.indptr[v + 1]!; k++) out[ui.indices[k]!]! += s * ui.proto[k]!;
    }
    // Content part: Σ_p cos(q, p) = q · Σ_p v_p, since rows are unit length (or zero).
    const profile = scratch.floats('seed.profile', m.cols);
    const profileMark = scratch.bytes('seed.profileMark', m.cols);
    const profileTerms = scratch.ints('seed.profileTerms', m.cols);
    const profileWeights = scratch.floats('seed.profileWeights', m.cols);
    const content = scratch.floats('seed.content', base.nPosts);
    let count = 0;
    for (let h = 0; h < history.length; h++) {
      const c = history.cols[h]!;
      for (let k = m.indptr[c]!; k < m.indptr[c + 1]!; k++) {
        const t = m.indices[k]!;
        if (profileMark[t] === 0) {
          profileMark[t] = 1;
          profileTerms[count++] = t;
        }
        profile[t]! += m.values[k]!;
      }
    }
    for (let q = 0; q < count; q++) profileWeights[q] = profile[profileTerms[q]!]!;
    content.fill(0);
    scoreAgainstPostings(state.postings, profileTerms, profileWeights, count, content);
    for (let q = 0; q < count; q++) {
      profile[profileTerms[q]!] = 0;
      profileMark[profileTerms[q]!] = 0;
    }
    // The user's most frequent categories (ties: the category met first in post-id order).
    const counts = new Map<number, { n: number; first: number }>();
    for (let h = 0; h < history.length; h++) {
      const c = history.cols[h]!;
      const cat = label(c);
      const e = counts.get(cat);
      if (e) {
        e.n++;
        if (c < e.first) e.first = c;
      } else counts.set(cat, { n: 1, first: c });
    }
    const top = new Set(
      [...counts.entries()]
        .sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first)
        .slice(0, params.topCategories)
        .map(([cat]) => cat),
    );
    for (let c = 0; c < base.nPosts; c++) {
      const s = params.collaborativeWeight * out[c]! + params.contentWeight * content[c]!;
      out[c] = top.has(label(c)) ? s * params.categoryBoost : s;
    }
    return true;
  },
  explain(_state, env, history, col) {
    const { base } = env;
    return `seed-hybrid: neighbours' interactions + TF-IDF similarity to your ${history.length} posts${
      base.postCategory[col]! >= 0 ? `, category ${base.categoryNames[base.postCategory[col]!]}` : ''
    }`;
  },
});
