// The dashboard over real HTTP and in a real browser (Debian's Chromium through playwright-core), on a
// SQLite file filled by the `empowerverse sync` CLI from the simulator and evaluated by `empowerverse eval
// --db`: every page loads without a console error and draws its charts, its figures equal the store's,
// the user inspector shows /feed's posts, and nothing is reachable without the ADMIN_TOKEN (nor at all
// without one configured). The browser part skips, saying so, where no Chromium is installed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_NAMES } from '../src/recommend/index.js';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.js';
import { countFeedEvents } from '../src/store/feed-events.js';
import { listSyncRuns } from '../src/store/sync-runs.js';
import { TABLE_NAMES } from '../src/store/types.js';
import { startTestServer, type TestServer } from './support/feed-server.js';

const CHROMIUM = '/usr/bin/chromium';
const browserSkip = existsSync(CHROMIUM)
  ? null
  : `no browser at ${CHROMIUM} (apt-get install chromium): dashboard browser tests skipped`;
if (browserSkip) console.warn(browserSkip);

const CLI = join(import.meta.dirname, '../src/cli/main.ts');
const FLIC = 'dashboard-flic-token';
const ADMIN = 'dashboard-admin-7c41e0';
const bearer = { authorization: `Bearer ${ADMIN}` };
const PAGES = [
  '/dashboard',
  '/dashboard/plots',
  '/dashboard/users',
  '/dashboard/users/1',
  '/dashboard/posts',
  '/dashboard/posts/1',
  '/dashboard/sync',
];

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, API_BASE_URL: '', FLIC_TOKEN: '', ADMIN_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let dbPath: string;
let simulator: RunningSimulator;
// biome-ignore lint/suspicious/noExplicitAny: the assertions read into the CLI's JSON report
let evalReport: any;
let server: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dashboard-test-'));
  dbPath = join(dir, 'data.db');
  simulator = await startSimulator({
    generate: { seed: 7, users: 150, posts: 50, interactions: 2500 },
    token: FLIC,
  });
  const synced = await cli(['sync', '--db', dbPath, '--progress', 'none', '--page-size', '500'], {
    API_BASE_URL: simulator.url,
    FLIC_TOKEN: FLIC,
  });
  if (synced.code !== 0) throw new Error(`sync failed: ${synced.stderr}`);
  const evaluated = await cli(['eval', '--db', dbPath, '--models', 'popular,itemknn', '--json']);
  if (evaluated.code !== 0) throw new Error(`eval failed: ${evaluated.stderr}`);
  evalReport = JSON.parse(evaluated.stdout);
  server = await startTestServer(dbPath, {
    app: { adminToken: ADMIN, upstream: { baseUrl: simulator.url, token: FLIC, pageSize: 100 } },
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await simulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The user with the most likes: one with a personal feed. */
async function activeUser(): Promise<number> {
  const row = await server.store.db
    .selectFrom('PostLike')
    .select(['user_id', (eb) => eb.fn.countAll().as('n')])
    .groupBy('user_id')
    .orderBy('n', 'desc')
    .orderBy('user_id')
    .limit(1)
    .executeTakeFirstOrThrow();
  return Number(row.user_id);
}

async function feedIds(userId: number): Promise<number[]> {
  const res = await server.get(`/feed?user_id=${userId}`);
  expect(res.status).toBe(200);
  return res.body.post.map((p: { id: number }) => p.id);
}

describe('without ADMIN_TOKEN', () => {
  it('has no dashboard: every path answers the API 404, no page, no asset', async () => {
    const plain = await startTestServer(dbPath);
    try {
      for (const path of [
        ...PAGES,
        '/dashboard/login',
        '/dashboard/assets/dashboard.js',
        '/dashboard/api/sync',
      ]) {
        const res = await plain.get(path, bearer);
        expect(res.status, path).toBe(404);
        expect(res.body).toMatchObject({ status: 'error' });
      }
      expect(
        (
          await plain.post('/dashboard/login', `token=${ADMIN}`, {
            'content-type': 'application/x-www-form-urlencoded',
          })
        ).status,
      ).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe('post inspector over HTTP (no browser needed)', () => {
  it('shows as similar posts exactly what GET /posts/{id}/similar serves', async () => {
    const postId = (await feedIds(await activeUser()))[0]!;
    const page = await server.get(`/dashboard/posts/${postId}`, bearer);
    expect(page.status).toBe(200);
    const column = /data-similar="model"([\s\S]*?)data-similar="co-interaction"/.exec(page.text)?.[1] ?? '';
    const shown = [...column.matchAll(/<li data-post-id="(\d+)"/g)].map((m) => Number(m[1]));
    const served = await server.get(`/posts/${postId}/similar?page_size=10`);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown).toEqual(served.body.post.map((p: { id: number }) => p.id));
    expect(shown).not.toContain(postId);
  });
});

describe('access', () => {
  it('sends a browser without a session to the sign-in page and shows it nothing', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer not-the-admin-token' },
      { authorization: `Basic ${ADMIN}` },
    ];
    for (const headers of attempts) {
      for (const path of PAGES) {
        const res = await fetch(server.url + path, { headers, redirect: 'manual' });
        expect(res.status, path).toBe(303);
        expect(res.headers.get('location')).toBe(`/dashboard/login?next=${encodeURIComponent(path)}`);
        expect(await res.text()).toBe('');
      }
      for (const path of ['/dashboard/api/requests', '/dashboard/api/sync']) {
        const res = await server.get(path, headers);
        expect(res.status, path).toBe(401);
        expect(res.body.message).toMatch(/sign-in at \/dashboard\/login or the header Authorization: Bearer/);
      }
      expect((await server.post('/dashboard/sync', undefined, headers)).status).toBe(401);
    }
    // The refused post started nothing.
    expect((await server.get('/admin/sync', bearer)).body.current).toBeNull();
    // The sign-in page and its assets are public.
    expect((await server.get('/dashboard/login')).status).toBe(200);
    expect((await server.get('/dashboard/assets/chart.umd.min.js')).text).toMatch(/Chart/);
  });

  it('accepts the token as Bearer', async () => {
    for (const path of PAGES) {
      const res = await server.get(path, bearer);
      expect(res.status, path).toBe(200);
      expect(res.text).toMatch(/^<!doctype html>/);
    }
  });

  it('signs in with the token only, into an HttpOnly SameSite=Strict cookie that sign-out revokes', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const wrong = await fetch(`${server.url}/dashboard/login`, {
      method: 'POST',
      headers: form,
      body: 'token=not-the-admin-token&next=%2Fdashboard%2Fplots',
      redirect: 'manual',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const page = await wrong.text();
    expect(page).toContain('That is not the server&#39;s ADMIN_TOKEN.');
    expect(page).not.toContain('not-the-admin-token');

    const right = await fetch(`${server.url}/dashboard/login`, {
      method: 'POST',
      headers: form,
      body: `token=${ADMIN}&next=${encodeURIComponent('https://elsewhere.example/')}`,
      redirect: 'manual',
    });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/dashboard');
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^empowerverse_dashboard=[\w-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/dashboard/);
    expect(cookie).not.toContain(ADMIN);
    const session = { cookie: cookie.split(';')[0]! };
    expect((await server.get('/dashboard', session)).status).toBe(200);

    const out = await fetch(`${server.url}/dashboard/logout`, {
      method: 'POST',
      headers: session,
      redirect: 'manual',
    });
    expect(out.status).toBe(303);
    expect((await fetch(`${server.url}/dashboard`, { headers: session, redirect: 'manual' })).status).toBe(
      303,
    );
  });

  it('answers bad and unknown ids with a page saying so', async () => {
    const bad = await server.get('/dashboard/users/abc', bearer);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('user id must be a positive integer, got &quot;abc&quot;');
    const unknown = await server.get('/dashboard/posts/987654', bearer);
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('no post 987654: no stored record and no stored interactions');
    const search = await server.get('/dashboard/users?user=%3Cscript%3E', bearer);
    expect(search.status).toBe(404);
    expect(search.text).toContain('No user is called &quot;&lt;script&gt;&quot;.');
  });
});

describe.skipIf(browserSkip !== null)('in a browser', () => {
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/dashboard/users`);
    // Sent to sign in first, and back afterwards.
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.fill('#token', ADMIN);
    await Promise.all([page.waitForURL(`${server.url}/dashboard/users`), page.click('button[type=submit]')]);
    await page.close();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Opens `path`, recording console errors, page errors and failed or refused requests. */
  async function visit(path: string): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
    });
    await page.goto(server.url + path, { waitUntil: 'networkidle' });
    return { page, problems };
  }

  /** Every chart of the page: drawn by Chart.js with data, and pixels on its canvas. */
  async function charts(page: Page): Promise<{ id: string; points: number; painted: number }[]> {
    await page.waitForFunction(
      "[...document.querySelectorAll('canvas[data-chart]')].every((c) => c.dataset.drawn === 'true')",
      undefined,
      { timeout: 15_000 },
    );
    return page.evaluate(`[...document.querySelectorAll('canvas[data-chart]')].map((c) => {
      const chart = Chart.getChart(c);
      const points = chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => Number(v) > 0).length, 0);
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
      return { id: c.dataset.chart, points, painted };
    })`);
  }

  /** The attribute `name` of every element matching `selector`, in document order. */
  const attributes = async (page: Page, selector: string, name: string) =>
    Promise.all((await page.locator(selector).all()).map((l) => l.getAttribute(name)));
  const numbers = async (page: Page, selector: string, name: string) =>
    (await attributes(page, selector, name)).map(Number);
  const cellValues = (page: Page, selector: string) => numbers(page, selector, 'data-value');

  it('refuses a wrong token on the sign-in page', async () => {
    const fresh = await browser.newContext();
    try {
      const page = await fresh.newPage();
      await page.goto(`${server.url}/dashboard`);
      await page.fill('#token', 'wrong-token-123456');
      await page.click('button[type=submit]');
      await page.locator('.error-box').waitFor();
      expect(await page.locator('.error-box').textContent()).toBe("That is not the server's ADMIN_TOKEN.");
      expect(new URL(page.url()).pathname).toBe('/dashboard/login');
      expect(await fresh.cookies()).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('overview: the stored counts, orphans, sync runs and model equal the store, and its charts draw', async () => {
    // Traffic for the live request table.
    const userId = await activeUser();
    for (let i = 0; i < 5; i++) await feedIds(userId);
    const metrics = (await server.get('/metrics')).text;
    const feedRequests = [...metrics.matchAll(/^http_requests_total\{[^}]*route="\/feed"[^}]*\} (\d+)$/gm)]
      .map((m) => Number(m[1]))
      .reduce((a, b) => a + b, 0);

    const { page, problems } = await visit('/dashboard');
    const stats = await server.store.stats();
    for (const table of TABLE_NAMES) {
      const value = page.locator(`.card[data-table="${table}"] .value`);
      expect(Number(await value.getAttribute('data-value')), table).toBe(stats.tables[table]);
      expect(await value.textContent()).toBe(stats.tables[table].toLocaleString('en-US'));
    }
    expect(stats.tables.PostView).toBeGreaterThan(0);
    expect(
      Number(await page.locator('.card[data-table="FeedEvent"] .value').getAttribute('data-value')),
    ).toBe(await countFeedEvents(server.store));
    for (const [source, o] of Object.entries(stats.orphans)) {
      expect(await cellValues(page, `table.orphans tr[data-source="${source}"] td[data-value]`)).toEqual([
        o.unknownUser,
        o.unknownPost,
      ]);
    }
    expect(await page.locator('table.sync-state tr[data-source]').count()).toBe(stats.sync.length);
    const runs = await listSyncRuns(server.store.db);
    expect(runs[0]).toMatchObject({
      trigger: 'cli',
      status: 'complete',
      records: Object.values(stats.tables).reduce((a, b) => a + b, 0),
    });
    expect(await page.locator('table.sync-runs tr[data-run-id]').count()).toBe(runs.length);
    const info = server.model.info!;
    expect(Number(await page.locator('[data-model="users"]').getAttribute('data-value'))).toBe(info.users);
    expect(Number(await page.locator('[data-model="posts"]').getAttribute('data-value'))).toBe(info.posts);
    expect(Number(await page.locator('[data-model="bytes"]').getAttribute('data-value'))).toBe(info.byteSize);
    const feedRow = page.locator('table.requests tr[data-route="/feed"][data-method="GET"] td[data-value]');
    expect(Number(await feedRow.getAttribute('data-value'))).toBe(feedRequests);
    expect(feedRequests).toBeGreaterThanOrEqual(5);

    const drawn = await charts(page);
    expect(drawn.map((c) => c.id).sort()).toEqual(['positive-per-day', 'request-rate']);
    const positive = drawn.find((c) => c.id === 'positive-per-day')!;
    expect(positive.points).toBeGreaterThan(0);
    expect(positive.painted).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('plots: per-day, category, long-tail and eval charts draw; the eval table is the last eval --db', async () => {
    const { page, problems } = await visit('/dashboard/plots');
    const drawn = await charts(page);
    for (const id of ['interactions-per-day', 'posts-per-category', 'popularity-tail', 'eval-metrics']) {
      const chart = drawn.find((c) => c.id === id);
      expect(chart, id).toBeDefined();
      expect(chart!.points, id).toBeGreaterThan(0);
      expect(chart!.painted, id).toBeGreaterThan(0);
    }
    for (const model of evalReport.models) {
      for (const group of ['all', 'cold'] as const) {
        const cell = page.locator(
          `table.eval[data-group="${group}"] tr[data-model="${model.model}"] td[data-metric="recall10"]`,
        );
        expect(Number(await cell.getAttribute('data-value'))).toBe(model[group].recall10);
      }
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it("user inspector: /feed's first posts, every model side by side, and what a live event changed", async () => {
    const userId = await activeUser();
    const served = (on: Page) =>
      numbers(on, '.feed-column.served[data-model="hybrid"] ol.feed > li', 'data-post-id');
    let { page, problems } = await visit(`/dashboard/users/${userId}`);
    const before = await feedIds(userId);
    expect(before.length).toBeGreaterThan(0);
    expect(await served(page)).toEqual(before);
    const columns = await attributes(page, '.feeds .feed-column', 'data-model');
    const selectable = server.model.info!.models.filter((m) =>
      (MODEL_NAMES as readonly string[]).includes(m),
    );
    expect(columns).toEqual(['hybrid', ...selectable.filter((m) => m !== 'hybrid')]);
    expect(columns.length).toBeGreaterThan(3);
    expect(await page.locator('.feed-column[data-model="itemknn"] .reason').first().textContent()).toMatch(
      /itemknn/,
    );
    expect(await page.locator('table.history tbody tr').count()).toBeGreaterThan(0);
    expect((await charts(page)).map((c) => c.id)).toEqual(['user-per-day']);
    expect(problems).toEqual([]);
    await page.close();

    // A like of the top post: the feed drops it at once, and the inspector says why.
    const liked = before[0]!;
    expect((await server.post('/events', { user_id: userId, post_id: liked, type: 'like' })).status).toBe(
      201,
    );
    ({ page, problems } = await visit(`/dashboard/users/${userId}`));
    const after = await feedIds(userId);
    expect(after).not.toContain(liked);
    expect(await served(page)).toEqual(after);
    expect(
      await page.locator('[data-live="before"] li[data-post-id]').first().getAttribute('data-post-id'),
    ).toBe(String(liked));
    expect(await page.locator(`.diff-out [data-post-id="${liked}"]`).count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("the inspectors' start pages list the most active users and posts, and their search boxes find them", async () => {
    const userId = await activeUser();
    const username = (
      await server.store.db
        .selectFrom('User')
        .select('username')
        .where('id', '=', userId)
        .executeTakeFirstOrThrow()
    ).username!;
    let { page, problems } = await visit('/dashboard/users');
    expect(await page.locator('a[data-user-id]').count()).toBeGreaterThan(0);
    await page.fill('#user', username);
    await Promise.all([
      page.waitForURL(`${server.url}/dashboard/users/${userId}`),
      page.click('form[action="/dashboard/users"] button'),
    ]);
    expect(await page.locator('h1').textContent()).toBe(`${username} (${userId})`);
    expect(problems).toEqual([]);
    await page.close();

    ({ page, problems } = await visit('/dashboard/posts'));
    const first = Number(await page.locator('td a[data-post-id]').first().getAttribute('data-post-id'));
    await page.fill('#post', String(first));
    await Promise.all([
      page.waitForURL(`${server.url}/dashboard/posts/${first}`),
      page.click('form[action="/dashboard/posts"] button'),
    ]);
    expect(await page.locator('h1 .muted').textContent()).toBe(`#${first}`);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("post inspector: the post, its summary, who interacted and its neighbours, the store's counted exactly", async () => {
    const postId = (await feedIds(await activeUser()))[0]!;
    const { page, problems } = await visit(`/dashboard/posts/${postId}`);
    const stored = await server.store.db
      .selectFrom('Post')
      .select('title')
      .where('id', '=', postId)
      .executeTakeFirstOrThrow();
    expect(await page.locator('[data-post="title"]').textContent()).toBe(stored.title);
    const summary = await server.store.db
      .selectFrom('PostSummary')
      .selectAll()
      .where('post_id', '=', postId)
      .executeTakeFirstOrThrow();
    expect(await page.locator('[data-post="summary"]').textContent()).toBe(summary.summary);
    expect(await page.locator('.keywords .badge').allTextContents()).toEqual(JSON.parse(summary.keywords));

    // Co-interaction neighbours, counted here from every stored interaction.
    const pairs = new Set<string>();
    for (const table of ['PostView', 'PostLike', 'PostInspire', 'PostRating', 'FeedEvent'] as const) {
      for (const r of await server.store.db.selectFrom(table).select(['user_id', 'post_id']).execute()) {
        pairs.add(`${r.user_id}:${r.post_id}`);
      }
    }
    const audience = new Set([...pairs].filter((p) => p.endsWith(`:${postId}`)).map((p) => p.split(':')[0]));
    const shared = new Map<number, number>();
    for (const p of pairs) {
      const [u, other] = p.split(':').map(Number) as [number, number];
      if (other !== postId && audience.has(String(u))) shared.set(other, (shared.get(other) ?? 0) + 1);
    }
    const expected = [...shared]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, 10)
      .map(([id]) => id);
    const shown = await numbers(page, '[data-similar="co-interaction"] li[data-post-id]', 'data-post-id');
    expect(shown).toEqual(expected);
    expect(await page.locator('[data-similar="co-interaction"] li .reason').first().textContent()).toContain(
      `${shared.get(expected[0]!)} shared users`,
    );
    // Similar posts from the loaded model: exactly what GET /posts/{id}/similar serves, never the post itself.
    const similar = await numbers(page, '[data-similar="model"] li[data-post-id]', 'data-post-id');
    expect(similar.length).toBeGreaterThan(0);
    expect(similar).not.toContain(postId);
    const served = await server.get(`/posts/${postId}/similar?page_size=10`);
    expect(similar).toEqual(served.body.post.map((p: { id: number }) => p.id));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('sync: starts the admin sync, follows it to the end and records it in the run history', async () => {
    const { page, problems } = await visit('/dashboard/sync');
    const runsBefore = await page.locator('table.sync-runs tr[data-run-id]').count();
    await Promise.all([page.waitForURL(/\/dashboard\/sync\?started=\d+$/), page.click('#start-sync')]);
    expect(await page.locator('.notice-box').textContent()).toMatch(
      /^Sync started \(this server's run \d+\)\.$/,
    );
    // The progress section polls; when the run ends the page reloads with it in the history.
    await page.locator('table.sync-runs tr[data-run-id]').nth(runsBefore).waitFor({ timeout: 45_000 });
    await page.locator('[data-run][data-status="complete"]').waitFor({ timeout: 15_000 });
    const runs = await listSyncRuns(server.store.db);
    expect(runs).toHaveLength(runsBefore + 1);
    expect(runs[0]).toMatchObject({ trigger: 'admin', status: 'complete', errors: 0 });
    const newest = page.locator(`table.sync-runs tr[data-run-id="${runs[0]!.id}"]`);
    expect(await newest.locator('td').nth(1).textContent()).toBe('admin');
    expect(problems).toEqual([]);
    await page.close();
  });
});
