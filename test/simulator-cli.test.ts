import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import {
  parseMalformedFlag,
  registerSimulateCommand,
  type SimulateCommandOptions,
} from '../src/simulator/cli.js';
import { expectedCounts } from '../src/simulator/generate.js';
import type { RunningSimulator } from '../src/simulator/server.js';

/** A program with only `simulate`, whose output and errors are captured instead of exiting. */
function program(options: SimulateCommandOptions = {}) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  let errors = '';
  const cmd = new Command()
    .exitOverride()
    .configureOutput({ writeErr: (s) => (errors += s), writeOut: (s) => (text += s) });
  registerSimulateCommand(cmd, { out, ...options });
  return {
    run: (...args: string[]) => cmd.parseAsync(['node', 'empowerverse', 'simulate', ...args]),
    output: () => text,
    errors: () => errors,
  };
}

describe('empowerverse simulate', () => {
  it('exports a generated dataset as six JSON files with --export-dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
    try {
      const cli = program();
      await cli.run(
        '--seed',
        '5',
        '--users',
        '20',
        '--posts',
        '6',
        '--interactions',
        '200',
        '--export-dir',
        dir,
      );
      expect((await readdir(dir)).sort()).toEqual(
        ['inspires.json', 'likes.json', 'posts.json', 'ratings.json', 'users.json', 'views.json'].sort(),
      );
      const counts = expectedCounts({ seed: 5, users: 20, posts: 6, interactions: 200 });
      expect(JSON.parse(await readFile(join(dir, 'views.json'), 'utf8'))).toHaveLength(counts.views);
      expect(cli.output()).toContain(`wrote users 20, posts 6, views ${counts.views}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves until stopped, printing the URL and the counts but not the token', async () => {
    const controller = new AbortController();
    let sim: RunningSimulator | undefined;
    const cli = program({
      signal: controller.signal,
      onListening: (s) => {
        sim = s;
      },
    });
    const running = cli.run(
      '--port',
      '0',
      '--users',
      '10',
      '--posts',
      '4',
      '--interactions',
      '50',
      '--token',
      'cli-secret-99',
    );
    while (!sim) await new Promise((r) => setTimeout(r, 5));
    const res = await fetch(`${sim.url}/users/get_all?page=1&page_size=100`, {
      headers: { 'Flic-Token': 'cli-secret-99' },
    });
    expect(((await res.json()) as { users: unknown[] }).users).toHaveLength(10);
    controller.abort();
    await running;
    expect(cli.output()).toContain(`listening on ${sim.url}`);
    expect(cli.output()).toContain('users 10, posts 4');
    expect(cli.output()).not.toContain('cli-secret-99');
    expect(cli.output()).toContain('simulator stopped');
  });

  it('rejects out-of-range flags with a message saying what is accepted', async () => {
    for (const [flag, value, message] of [
      ['--error-rate', '2', /--error-rate.*must be a number 0\.\.1/],
      ['--port', '70000', /--port.*must be an integer 0\.\.65535/],
      ['--users', 'many', /--users.*must be an integer/],
      ['--malformed', 'comments:2', /unknown source in "comments:2"/],
    ] as const) {
      const cli = program();
      await expect(cli.run(flag, value, '--export-dir', '/nonexistent-never-written')).rejects.toThrow();
      expect(cli.errors()).toMatch(message);
    }
    await expect(program().run('--from-dir', '/tmp', '--users', '5')).rejects.toThrow(
      /--from-dir serves the files as they are/,
    );
  });
});

describe('parseMalformedFlag', () => {
  it('reads source:page[:times|always][:kind]', () => {
    expect(parseMalformedFlag('views:3')).toEqual({ source: 'views', page: 3 });
    expect(parseMalformedFlag('posts:2:always')).toEqual({ source: 'posts', page: 2, times: 'always' });
    expect(parseMalformedFlag('likes:1:2:wrong-key')).toEqual({
      source: 'likes',
      page: 1,
      times: 2,
      kind: 'wrong-key',
    });
    expect(() => parseMalformedFlag('views:0')).toThrow(/page must be an integer >= 1/);
    expect(() => parseMalformedFlag('views:1:sometimes')).toThrow(/cannot read "sometimes"/);
  });
});
