// An A/B experiment end to end on real parts: a generated dataset served by the simulator over HTTP and
// synced into a SQLite file, `empowerverse serve` as a process with EXPERIMENTS declaring hybrid vs popular
// at 50/50 (and EVENTS_TOKEN), then `empowerverse simulate-users` as a process: its users read their feeds
// and react from the dataset's hidden tastes. GET /admin/experiments then shows hybrid with the higher like
// rate per impression, significant at 95%.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../src/simulator/generate.js';
import { hiddenTastesOf, runReactingUsers } from '../src/simulator/reacting-users.js';
import { startCli } from './support/cli-process.js';
import { type Body, eventually, type SyncedDatabase, syncedDatabase } from './support/feed-server.js';
import { type ServeProcess, startServeProcess } from './support/serve-process.js';

const ADMIN = 'admin-token-e2e';
const EVENTS = 'events-token-e2e';
const GENERATE = { seed: 11, users: 300, posts: 120, interactions: 6000 };
const SESSIONS = 300;
const EXPERIMENTS = {
  name: 'ranker',
  arms: [
    { name: 'hybrid', model: 'hybrid', share: 0.5 },
    { name: 'popular', model: 'popular', share: 0.5 },
  ],
};

let db: SyncedDatabase;
let serve: ServeProcess;

beforeAll(async () => {
  db = await syncedDatabase(GENERATE);
  serve = await startServeProcess(db.path, {
    env: { EXPERIMENTS: JSON.stringify(EXPERIMENTS), ADMIN_TOKEN: ADMIN, EVENTS_TOKEN: EVENTS },
  });
}, 120_000);

afterAll(async () => {
  await serve?.stop();
  await db?.cleanup();
});

async function experimentsReport(): Promise<Body> {
  const res = await fetch(`${serve.url}/admin/experiments`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(res.status).toBe(200);
  return res.json();
}

describe('an experiment hybrid vs popular with simulated users', () => {
  it('shows hybrid with the higher like rate per impression, significant at 95%', async () => {
    const dataFlags = Object.entries(GENERATE).flatMap(([k, v]) => [`--${k}`, String(v)]);
    const cli = startCli(
      [
        'simulate-users',
        '--feed-url',
        serve.url,
        '--sessions',
        String(SESSIONS),
        '--reaction-seed',
        '5',
      ].concat(dataFlags),
      { EVENTS_TOKEN: EVENTS },
    );
    expect(await cli.exited).toBe(0);
    const out = cli.stdout();
    expect(out).toContain(`reading ${SESSIONS} feed pages from ${serve.url}`);
    expect(out).toMatch(/ {2}\d+\/300 sessions · \d+ views · \d+ likes/);
    const summary =
      /simulated (\d+) sessions in [\d.]+s: (\d+) pages, (\d+) items shown, (\d+) views, (\d+) likes/.exec(
        out,
      );
    expect(summary, out + cli.stderr()).not.toBeNull();
    const [sessions, pages, shown, views, likes] = summary!.slice(1, 6).map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    expect(sessions).toBe(SESSIONS);
    expect(pages).toBe(SESSIONS);
    expect(shown).toBe(SESSIONS * 10);
    // The top post of every page is examined; fewer further down.
    expect(views).toBeGreaterThan(SESSIONS);
    expect(views).toBeLessThan(shown);
    expect(likes).toBeGreaterThan(0);
    expect(out).toMatch(/likes by arm: ranker:hybrid \d+, ranker:popular \d+/);

    // Impressions are written by the server's timer (every second): wait until all pages are counted.
    const report = await eventually(async () => {
      const body = await experimentsReport();
      const arms = body.experiments[0].arms as Body[];
      return arms.reduce((n, a) => n + a.impressions, 0) === pages ? body : undefined;
    });
    const [hybrid, popular] = report.experiments[0].arms as Body[];
    expect(hybrid).toMatchObject({
      name: 'hybrid',
      model: 'hybrid',
      label: 'ranker:hybrid',
      vs_control: null,
    });
    expect(popular).toMatchObject({ name: 'popular', model: 'popular', label: 'ranker:popular' });
    expect(hybrid.impressions).toBeGreaterThan(SESSIONS / 4);
    expect(popular.impressions).toBeGreaterThan(SESSIONS / 4);
    // Every page's top post was viewed and attributed to its page.
    expect(hybrid.view_rate.rate).toBe(1);
    expect(popular.view_rate.rate).toBe(1);
    expect(hybrid.like_rate.rate).toBeGreaterThan(popular.like_rate.rate);
    expect(hybrid.like_rate.ci_low).toBeGreaterThan(popular.like_rate.ci_high);
    expect(popular.vs_control.like_rate.difference).toBeLessThan(0);
    expect(popular.vs_control.like_rate.p_value).toBeLessThan(0.05);
    expect(popular.vs_control.like_rate.significant).toBe(true);
  }, 120_000);

  it('stops at the first failed request, naming its status, when POST /events refuses its token', async () => {
    const feedsServed = async () => {
      const text = await (await fetch(`${serve.url}/metrics`)).text();
      return [...text.matchAll(/^experiment_feeds_total\{[^}]*\} (\d+)$/gm)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    };
    const before = await feedsServed();
    const tastes = hiddenTastesOf(generateDataset(GENERATE));
    await expect(
      runReactingUsers({
        feedUrl: serve.url,
        tastes,
        sessions: 50,
        concurrency: 2,
        eventsToken: 'wrong-token',
      }),
    ).rejects.toThrow(/^POST \/events answered 401/);
    // At most the sessions in flight read a page; none starts after the failure.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const read = (await feedsServed()) - before;
    expect(read).toBeGreaterThanOrEqual(1);
    expect(read).toBeLessThanOrEqual(2);
  });
});
