// `empowerverse serve` and `empowerverse demo` as real processes: they listen, answer, and stop cleanly
// on SIGTERM / Ctrl-C (SIGINT); the demo works on a missing and on an existing data.db.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutFlags } from '../src/server/replicas.js';
import { startCli } from './support/cli-process.js';
import { eventually, type SyncedDatabase, syncedDatabase } from './support/feed-server.js';

let db: SyncedDatabase;

beforeAll(async () => {
  db = await syncedDatabase({ users: 200, posts: 60, interactions: 3000 });
});

afterAll(async () => {
  await db?.cleanup();
});

describe('empowerverse serve', () => {
  it('listens, builds the model, enables admin routes with ADMIN_TOKEN, and stops cleanly on SIGTERM', async () => {
    const serve = startCli(['serve', '--db', db.path, '--port', '0'], { ADMIN_TOKEN: 'cli-admin-token-1' });
    try {
      const [, url] = await serve.waitForStdout(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      expect(serve.stdout()).toContain('admin routes enabled');
      expect(serve.stdout()).toContain(`dashboard ${url}/dashboard`);
      await eventually(async () => ((await fetch(`${url}/ready`)).status === 200 ? true : undefined));
      const feed = await fetch(`${url}/feed?user_id=3&page_size=5`);
      expect(feed.status).toBe(200);
      const admin = await fetch(`${url}/admin/sync`, {
        headers: { authorization: 'Bearer cli-admin-token-1' },
      });
      expect(admin.status).toBe(200);
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toContain('SIGTERM: stopping');
  });

  it('refuses --replicas on SQLite and without a fixed port, saying why (exit 2)', async () => {
    const sqlite = startCli(['serve', '--db', db.path, '--port', '8000', '--replicas', '2']);
    expect(await sqlite.exited).toBe(2);
    expect(sqlite.stderr()).toContain('--replicas needs a postgres:// DATABASE_URL');
    const anyPort = startCli([
      'serve',
      '--db',
      'postgres://feed@127.0.0.1:5432/feed',
      '--port',
      '0',
      '--replicas',
      '2',
    ]);
    expect(await anyPort.exited).toBe(2);
    expect(anyPort.stderr()).toContain('--replicas needs a fixed --port');
  });

  it('serves the EXPERIMENTS it is given and refuses invalid ones, saying why (exit 2)', async () => {
    const arms = [
      { name: 'control', model: 'hybrid', share: 0.5 },
      { name: 'pop', model: 'popular', share: 0.5 },
    ];
    const bad = startCli(['serve', '--db', db.path, '--port', '0'], {
      EXPERIMENTS: JSON.stringify({ name: 'ranker', arms: [arms[0], { ...arms[1], share: 0.4 }] }),
    });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('EXPERIMENTS[0].arms: arm shares must sum to 1, got 0.9');
    const serve = startCli(['serve', '--db', db.path, '--port', '0'], {
      EXPERIMENTS: JSON.stringify({ name: 'ranker', arms }),
    });
    try {
      await serve.waitForStdout(/listening on http/);
      await serve.waitForStdout(/experiments ranker \(control=hybrid 0\.5, pop=popular 0\.5\)/);
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited).toBe(0);
  });

  it('refuses a bad flag with a message naming it (exit 2)', async () => {
    const serve = startCli(['serve', '--db', db.path, '--port', '99999']);
    expect(await serve.exited).toBe(2);
    expect(serve.stderr()).toContain('--port must be an integer 0..65535, got "99999"');
    const share = startCli(['serve', '--db', db.path, '--port', '0', '--batch-share', '0']);
    expect(await share.exited).toBe(2);
    expect(share.stderr()).toContain('--batch-share must be an integer 1..100, got "0"');
  });
});

describe('empowerverse demo', () => {
  it('runs simulator → sync → data.db → model → feed, prints example URLs, and stops on Ctrl-C; a re-run refreshes', async () => {
    const path = join(db.dir, 'demo', 'data.db');
    for (const run of [1, 2]) {
      const demo = startCli([
        'demo',
        '--db',
        path,
        '--port',
        '0',
        '--users',
        '150',
        '--posts',
        '40',
        '--interactions',
        '2000',
      ]);
      try {
        await demo.waitForStdout(/Ctrl-C stops the service/);
        const out = demo.stdout();
        const [, feedUrl] = /feed of user \d+\s+(http:\S+)/.exec(out)!;
        const feed = await fetch(feedUrl!);
        expect(feed.status).toBe(200);
        expect(((await feed.json()) as { post: unknown[] }).post.length).toBe(10);
        // The discovery examples answer as printed.
        for (const label of [/posts similar to post \d+/, /trending/, /latest/]) {
          const [, url] = new RegExp(`${label.source}\\s+(http:\\S+)`).exec(out)!;
          const res = await fetch(url!);
          expect(res.status).toBe(200);
          expect(((await res.json()) as { post: unknown[] }).post.length).toBeGreaterThan(0);
        }
        const [, unknownPost] = /unknown post \(404\)\s+(http:\S+)/.exec(out)!;
        expect((await fetch(unknownPost!)).status).toBe(404);
        for (const label of [
          'a brand-new (cold) user',
          'Prometheus metrics',
          'API docs (OpenAPI)',
          'liveness / readiness',
        ]) {
          expect(out).toContain(label);
        }
        const [, base] = /feed service on (http:\/\/[\d.:]+)/.exec(out)!;
        expect((await fetch(`${base}/docs`)).status).toBe(200);
        expect((await fetch(`${base}/health`)).status).toBe(200);
        if (run === 2) expect(out).toMatch(/views\s+complete\s+\d+\s+\d+\s+0\s/); // nothing changed
      } finally {
        demo.child.kill('SIGINT');
      }
      expect(await demo.exited).toBe(0);
      expect(demo.stdout()).toContain('stopped.');
      expect(existsSync(path)).toBe(true);
    }
  });
});

describe('serve --replicas', () => {
  it("hands each replica serve's own arguments without --replicas and --port, in either spelling", () => {
    expect(
      withoutFlags(
        ['--db', 'postgres://x/db', '--replicas', '3', '--port=9000', '--workers', '1', '--replicas=2'],
        ['--replicas', '--port'],
      ),
    ).toEqual(['--db', 'postgres://x/db', '--workers', '1']);
  });
});
