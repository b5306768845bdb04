// bench:sync — syncs 100,000 users, 20,000 posts and 2,000,000 interactions over HTTP from the
// simulator (its own process) into a fresh data.db and prints interaction records/s and peak RSS.
// Targets (issue 2, 2-core machine, simulator included): ≥ 100,000 records/s, peak RSS < 400 MB.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/open.js';
import { runSync } from '../src/sync/sync.js';
import { INTERACTION_SOURCES } from '../src/upstream/sources.js';
import { startChild } from './support/child.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const users = Number(args.get('users') ?? 100_000);
const posts = Number(args.get('posts') ?? 20_000);
const interactions = Number(args.get('interactions') ?? 2_000_000);
const token = 'bench-token';

const simulator = await startChild<{ url: string; counts: Record<string, number> }>(
  'bench/support/simulator-process.ts',
  [String(users), String(posts), String(interactions)],
  { FLIC_TOKEN: token },
);
const dir = mkdtempSync(join(tmpdir(), 'ev-bench-sync-'));
const store = await openStore(join(dir, 'data.db'));
try {
  const started = performance.now();
  const report = await runSync({
    store,
    upstream: { baseUrl: simulator.first.url, token, pageSize: 1000, concurrency: 4 },
  });
  const seconds = (performance.now() - started) / 1000;
  const stats = await store.stats();
  const interactionReports = report.sources.filter((s) =>
    (INTERACTION_SOURCES as readonly string[]).includes(s.source),
  );
  const interactionRecords = interactionReports.reduce((sum, s) => sum + s.records, 0);
  const interactionSeconds = interactionReports.reduce((sum, s) => sum + s.durationMs, 0) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    [
      `sources:  ${report.sources.map((s) => `${s.source}=${s.records} (${(s.durationMs / 1000).toFixed(1)}s, ${s.status})`).join(', ')}`,
      `tables:   ${Object.entries(stats.tables)
        .map(([t, n]) => `${t}=${n}`)
        .join(', ')}`,
      `total:    ${seconds.toFixed(1)} s end to end (users, posts, summaries and interactions)`,
      `interaction records/s: ${Math.round(interactionRecords / interactionSeconds)} (${interactionRecords} records in ${interactionSeconds.toFixed(1)} s; target ≥ 100000)`,
      `all records/s:         ${Math.round(report.sources.reduce((s, r) => s + r.records, 0) / seconds)}`,
      `peak RSS of the sync process: ${peakRssMb.toFixed(0)} MB (target < 400 MB)`,
    ].join('\n'),
  );
  if (!report.ok) process.exitCode = 1;
} finally {
  await store.close();
  await simulator.stop();
  rmSync(dir, { recursive: true, force: true });
}
