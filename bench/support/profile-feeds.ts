// In-process feed cost on a bench database's newest stored snapshot, for users with history: feeds
// composed from the precomputed rankings next to the same feeds scored over the catalogue, in one run
// (compare the ratio, not the absolute figures). Run under `node --cpu-prof` to see where time goes:
//
//   node --cpu-prof --cpu-prof-dir=.bench --import tsx bench/support/profile-feeds.ts .bench/<db> [feeds]
import {
  decodeSnapshot,
  type ModelSnapshot,
  openSnapshot,
  precomputedFeed,
  recommendFeed,
} from '../../src/recommend/index.js';
import { openStore } from '../../src/store/open.js';
import { listSnapshotArtifacts, readSnapshotArtifact } from '../../src/store/snapshots.js';

const [dbPath, feedsArg = '5000'] = process.argv.slice(2);
if (dbPath === undefined) throw new Error('usage: profile-feeds.ts <database> [feeds]');
const feeds = Number(feedsArg);
const store = await openStore(dbPath);
const [meta] = await listSnapshotArtifacts(store, { limit: 1 });
if (meta === undefined) throw new Error(`${dbPath} holds no stored snapshot (run empowerverse build)`);
const bytes = await readSnapshotArtifact(store, meta.id);
await store.close();
const { data } = decodeSnapshot(bytes, { verify: false });
const { rankings: _lists, ...unlisted } = data;
const { base } = data;
const users: number[] = [];
for (let r = 0; r < base.userIds.length; r++) {
  if (base.userItems.indptr[r + 1]! > base.userItems.indptr[r]!) users.push(base.userIds[r]!);
}

function time(name: string, snapshot: ModelSnapshot): number {
  let seed = 1;
  const pick = () => users[(seed = (seed * 48271) % 2147483647) % users.length]!;
  for (let i = 0; i < 300; i++) recommendFeed(snapshot, { userId: pick(), pageSize: 20 });
  const latencies = new Float64Array(feeds);
  for (let i = 0; i < feeds; i++) {
    const start = performance.now();
    recommendFeed(snapshot, { userId: pick(), pageSize: 20 });
    latencies[i] = performance.now() - start;
  }
  latencies.sort();
  const mean = latencies.reduce((a, b) => a + b, 0) / feeds;
  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  console.log(
    `${name}: ${feeds} feeds of 20, mean ${us(mean)}, p50 ${us(latencies[feeds >> 1]!)}, p99 ${us(latencies[Math.floor(feeds * 0.99)]!)}`,
  );
  return mean;
}

console.log(
  `snapshot ${meta.id}: ${base.userIds.length} users (${users.length} with history), ${base.nPosts} posts`,
);
const listed = data.rankings ? time('from precomputed rankings', openSnapshot(data)) : null;
const scored = time('scored over the catalogue', openSnapshot(unlisted));
if (listed !== null) console.log(`scoring costs ${(scored / listed).toFixed(1)}× a feed from the rankings`);

if (data.rankings) {
  // Which page shapes the lists answer (the rest are scored): a list cut at its depth answers a page
  // only when composing it never reads past the list's end.
  const listedSnapshot = openSnapshot(data);
  const shapes = [
    [1, 10],
    [2, 10],
    [1, 20],
    [2, 20],
    [1, 30],
  ] as const;
  const parts = shapes.map(([page, pageSize]) => {
    let answered = 0;
    for (const userId of users)
      if (precomputedFeed(listedSnapshot, { userId, page, pageSize }) !== null) answered++;
    return `page ${page} × ${pageSize}: ${((100 * answered) / users.length).toFixed(1)} %`;
  });
  console.log(`answered from lists of ${data.rankings.depth}: ${parts.join(', ')}`);
}
