// `npm run screenshots`: the dashboard over demo data, photographed. Starts the simulated API, syncs it
// into a temporary SQLite file, evaluates the models on it (so the plots page has its eval table), starts
// the feed service with an admin token, sends a few feed requests and live events, signs in through the
// sign-in page in Debian's Chromium and writes a PNG of each page to docs/screenshots/.
//
//   npm run screenshots [-- --out docs/screenshots --users 2000 --posts 600 --interactions 60000]
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { chromium } from 'playwright-core';
import { snapshotRecommender } from '../src/eval/recommender.js';
import { evaluate } from '../src/eval/run.js';
import { startServer } from '../src/server/serve.js';
import { describeError } from '../src/shared/errors.js';
import { startSimulator } from '../src/simulator/index.js';
import { recordEvalRun } from '../src/store/eval-runs.js';
import { openStore } from '../src/store/open.js';
import { loadTrainingDataFromStore } from '../src/store/training-data.js';
import { storeSyncRun, syncRunOf } from '../src/sync/run-record.js';
import { runSync } from '../src/sync/sync.js';

const CHROMIUM = '/usr/bin/chromium';

const program = new Command()
  .name('dashboard-screenshots')
  .description('Write PNGs of every dashboard page over demo data')
  .option('--out <dir>', 'folder for the PNGs', 'docs/screenshots')
  .option('--users <n>', 'simulated users', '2000')
  .option('--posts <n>', 'simulated posts', '600')
  .option('--interactions <n>', 'simulated interactions', '60000');

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const flags = program.parse(process.argv).opts();
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium`);
  const out = resolve(flags.out);
  await mkdir(out, { recursive: true });
  const dir = await mkdtemp(join(tmpdir(), 'dashboard-screenshots-'));
  const database = join(dir, 'data.db');
  const token = 'screenshot-flic-token';
  const adminToken = randomBytes(12).toString('hex');
  const simulator = await startSimulator({
    generate: {
      seed: 11,
      users: Number(flags.users),
      posts: Number(flags.posts),
      interactions: Number(flags.interactions),
    },
    token,
  });
  try {
    log(`syncing the simulated API (${simulator.url}) into ${database}`);
    const store = await openStore(database);
    try {
      const startedAt = new Date();
      const report = await runSync({ store, upstream: { baseUrl: simulator.url, token, pageSize: 1000 } });
      if (!report.ok) throw new Error(`sync failed: ${JSON.stringify(report.sources)}`);
      await storeSyncRun(store, syncRunOf(report, { trigger: 'demo', startedAt }));
      log('evaluating every model on it');
      const evalReport = evaluate(await loadTrainingDataFromStore(store), {
        positives: 'empowerverse',
        coldThreshold: 20,
        buildRecommender: snapshotRecommender(),
      });
      await recordEvalRun(store.db, evalReport, {
        split: 'test',
        positives: 'empowerverse',
        coldThreshold: 20,
        composed: false,
        models: null,
      });
    } finally {
      await store.close();
    }

    log('starting the feed service and building the model');
    const server = await startServer({
      database,
      port: 0,
      adminToken,
      upstream: { baseUrl: simulator.url, token, pageSize: 1000 },
      waitForModel: true,
    });
    try {
      const active = await server.store.db
        .selectFrom('PostLike')
        .select(['user_id', (eb) => eb.fn.countAll().as('n')])
        .groupBy('user_id')
        .orderBy('n', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      const userId = Number(active.user_id);
      // Traffic for the request table, and live events for the user inspector's "what they changed".
      const feed = (await (await fetch(`${server.url}/feed?user_id=${userId}`)).json()) as {
        post: { id: number }[];
      };
      for (const post of feed.post.slice(0, 3)) {
        await fetch(`${server.url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: userId, post_id: post.id, type: 'like' }),
        });
      }
      // Spread over a few of the request table's 5-second sampling intervals, so its sparkline has a shape.
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 10 + 15 * round; i++) {
          await fetch(`${server.url}/feed?user_id=${((round * 37 + i) % 200) + 1}&page_size=20`);
        }
        await new Promise((r) => setTimeout(r, 5_000));
      }
      const postId = feed.post[0]?.id ?? 1;

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
        await page.goto(`${server.url}/dashboard/login`);
        await page.fill('#token', adminToken);
        await Promise.all([page.waitForURL(`${server.url}/dashboard`), page.click('button[type=submit]')]);
        const shots: [string, string][] = [
          ['overview', '/dashboard'],
          ['plots', '/dashboard/plots'],
          ['user', `/dashboard/users/${userId}`],
          ['post', `/dashboard/posts/${postId}`],
          ['sync', '/dashboard/sync'],
        ];
        for (const [name, path] of shots) {
          await page.goto(server.url + path, { waitUntil: 'networkidle' });
          if (name === 'sync') {
            // A sync started from the page, followed to its end (the page reloads with it in the history).
            await Promise.all([page.waitForURL(/started=/), page.click('#start-sync')]);
            await page.locator('table.sync-runs tr[data-run-id]').nth(1).waitFor({ timeout: 60_000 });
            await page.waitForLoadState('networkidle');
          }
          const file = join(out, `dashboard-${name}.png`);
          await page.screenshot({ path: file, fullPage: true });
          log(`wrote ${file}`);
        }
      } finally {
        await browser.close();
      }
    } finally {
      await server.close();
    }
  } finally {
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshots: ${describeError(error)}\n`);
  process.exitCode = 1;
});
