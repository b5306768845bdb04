// The `empowerverse` CLI as a user runs it: exit codes, messages, sync then stats on a real file.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.js';

const CLI = join(import.meta.dirname, '../src/cli/main.ts');
const TOKEN = 'cli-token-99aa';
let dir: string;
let simulator: RunningSimulator;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ev-cli-'));
  simulator = await startSimulator({ generate: { users: 50, posts: 20, interactions: 500 }, token: TOKEN });
});
afterAll(async () => {
  await simulator.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, API_BASE_URL: '', FLIC_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('empowerverse CLI', () => {
  it('refuses sync without API_BASE_URL, saying how to set it (exit 2)', async () => {
    const result = await cli(['sync', '--db', join(dir, 'x.db')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/API_BASE_URL is not set/);
  });

  it('names the accepted values of --only', async () => {
    const result = await cli(['sync', '--only', 'users,comments', '--api-base-url', simulator.url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /--only accepts .*users, posts, views, likes, inspires, ratings, summaries/,
    );
  });

  it('syncs into a new file and reports counts; stats prints tables, orphans and last sync', async () => {
    const db = join(dir, 'data.db');
    const synced = await cli(['sync', '--db', db, '--progress', 'none'], {
      API_BASE_URL: simulator.url,
      FLIC_TOKEN: TOKEN,
    });
    expect(synced.code).toBe(0);
    expect(synced.stdout).toMatch(/users\s+complete/);
    expect(synced.stdout + synced.stderr).not.toContain(TOKEN);
    const stats = await cli(['stats', '--db', db, '--json']);
    expect(stats.code).toBe(0);
    const parsed = JSON.parse(stats.stdout);
    expect(parsed.tables.User).toBe(50);
    expect(parsed.tables.PostSummary).toBe(20);
    expect(parsed.sync.map((s: { source: string }) => s.source).sort()).toEqual([
      'inspires',
      'likes',
      'posts',
      'ratings',
      'summaries',
      'users',
      'views',
    ]);
  });

  it('reports a rejected token as a failed source without printing the token (exit 1)', async () => {
    const wrong = 'definitely-wrong-token-123';
    const result = await cli(['sync', '--db', join(dir, 'bad.db'), '--only', 'users', '--progress', 'log'], {
      API_BASE_URL: simulator.url,
      FLIC_TOKEN: wrong,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/users\s+failed/);
    expect(result.stdout).toMatch(/Flic-Token/);
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });

  it('stats on a missing database says to sync first instead of creating one', async () => {
    const result = await cli(['stats', '--db', join(dir, 'missing.db')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no database at .*missing\.db: run `empowerverse sync` first/);
  });
});
