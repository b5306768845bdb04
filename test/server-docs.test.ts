// The API docs page in a real browser (Debian's headless Chromium through playwright-core): /docs renders
// the OpenAPI document and lists the feed operation. Skips, saying so, where no Chromium is installed.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SyncedDatabase,
  startTestServer,
  syncedDatabase,
  type TestServer,
} from './support/feed-server.js';

const CHROMIUM = '/usr/bin/chromium';
const skipReason = existsSync(CHROMIUM)
  ? null
  : `no browser at ${CHROMIUM} (apt-get install chromium): docs page test skipped`;
if (skipReason) console.warn(skipReason);

describe.skipIf(skipReason !== null)('GET /docs in a browser', () => {
  let db: SyncedDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await syncedDatabase({ users: 100, posts: 30, interactions: 1000 });
    server = await startTestServer(db.path, { app: { adminToken: 'docs-admin-token' } });
  });

  afterAll(async () => {
    await server?.close();
    await db?.cleanup();
  });

  it('renders the OpenAPI document with the /feed operation and its parameters', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const failed: string[] = [];
      page.on('requestfailed', (r) => failed.push(r.url()));
      await page.goto(`${server.url}/docs`, { waitUntil: 'networkidle' });
      const feed = page.locator('.opblock-summary-path', { hasText: /^\/feed$/ });
      await feed.first().waitFor({ timeout: 15_000 });
      await expect(page.locator('.title').first().textContent()).resolves.toContain('EmpowerVerse Feed');
      const paths = await page.locator('.opblock-summary-path').allInnerTexts();
      expect(paths).toEqual(expect.arrayContaining(['/feed', '/events', '/health', '/ready', '/admin/sync']));

      // Open the operation: its parameters are listed with their descriptions.
      await feed.first().click();
      await page
        .locator('.parameters-col_name', { hasText: 'page_size' })
        .first()
        .waitFor({ timeout: 10_000 });
      const params = await page.locator('.parameters-col_name').allInnerTexts();
      expect(params.join(' ')).toMatch(/user_id/);
      expect(params.join(' ')).toMatch(/project_code/);
      await page.screenshot({ path: join(tmpdir(), 'empowerverse-docs.png'), fullPage: false });
      expect(failed).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
