// Chooses the similar-posts blend (item-kNN cosine + w × content cosine, src/recommend/discovery.ts) on the
// validation split of MovieLens (the evaluation protocol applied inside the training part; the test part
// is never read): per user, the posts similar to their latest training post, minus what they saw, scored
// by Recall@20 / NDCG@20 of their held-out positives.
//
//   npx tsx scripts/similar-weights.ts ../shared/datasets/ml-100k
import { mean, ndcgAtK, recallAtK } from '../src/eval/metrics.js';
import { loadMovieLens } from '../src/eval/movielens.js';
import { splitByTime } from '../src/eval/split.js';
import { buildSnapshot, Discovery, userHistory } from '../src/recommend/index.js';

const dir = process.argv[2] ?? '../shared/datasets/ml-100k';
const test = splitByTime(loadMovieLens(dir), { positives: 'movielens' });
const validation = splitByTime(test.train, { positives: 'movielens' });
const snapshot = buildSnapshot(validation.train, { models: ['popular', 'itemknn', 'content'] });
const blends: [itemknn: number, content: number][] = [
  [1, 0],
  [1, 0.1],
  [1, 0.25],
  [1, 0.5],
  [1, 1],
  [0, 1],
];
for (const [itemknn, content] of blends) {
  const discovery = new Discovery(snapshot, { similarWeights: { itemknn, content } });
  const recall: number[] = [];
  const ndcg: number[] = [];
  for (const user of validation.heldOut) {
    const history = userHistory(snapshot.base, user.userId);
    if (user.positives.length === 0 || history.length === 0) continue;
    const postId = snapshot.base.postIds[history.cols[history.length - 1]!]!;
    const request = { list: 'similar', postId, userId: user.userId, pageSize: 20 } as const;
    const ranked = discovery.list(request).items.map((i) => i.postId);
    const relevant = new Set(user.positives);
    recall.push(recallAtK(ranked, relevant, 20));
    ndcg.push(ndcgAtK(ranked, relevant, 20));
  }
  console.log(
    `itemknn ${itemknn} + content ${content}: Recall@20 ${mean(recall).toFixed(4)}, ` +
      `NDCG@20 ${mean(ndcg).toFixed(4)} (${recall.length} users)`,
  );
}
