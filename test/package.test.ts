// The package as users install it: `npm pack` builds dist/ and packs only what belongs in it; the
// tarball, installed into an empty folder, is imported by name and reads a real SQLite file (the
// README's library example, run as written), its `empowerverse` bin answers through npx, and it serves
// feeds with its worker threads and child processes started from the installed, compiled modules.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSnapshot,
  fetchPostLikesIds,
  loadTrainingDataFromStore,
  loadUsers,
  openStore,
  recommendFeed,
  streamPostViews,
} from '../src/index.js';
import { eventually, type SyncedDatabase, syncedDatabase } from './support/feed-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** Folders and files of a working tree that a clean clone does not have (installs, builds, local data). */
const NOT_IN_A_CLONE = new Set(['node_modules', '.git', 'dist', '.bench', 'coverage', 'tmp']);
const LOCAL_DATABASE = /\.db(-wal|-shm|-journal)?$/;
/**
 * Timeout of a test that starts node or npm: a few seconds on a quiet machine, but several times that
 * beside the rest of the suite on two cores (the build and install in beforeAll get six of these).
 */
const SLOW_TEST_MS = 120_000;

/**
 * The environment for the npm commands: without the `npm_*` variables an enclosing `npm test` sets,
 * which would otherwise reconfigure them (prefix, package, lifecycle) as if they ran inside this package.
 */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

async function npm(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run('npm', args, { cwd, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/** Every TypeScript module under `dir`, relative to it, with `/` separators. */
function typeScriptModules(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

/** The README's library example: the first `js` block of "Use it as a library". */
function readmeLibraryExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Use it as a library'));
  const block = section && /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ```js block under "## Use it as a library"');
  return block;
}

let work: string;
/** The copy of the working tree that was packed. */
let tree: string;
let consumer: string;
let packedFiles: string[];
let db: SyncedDatabase;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ev-package-'));

  // Pack a copy of the working tree, so the build neither races other users of this checkout's dist/
  // nor packs a stale file from it. The copy borrows the installed dev tools (tsc) by symlink.
  tree = join(work, 'tree');
  cpSync(ROOT, tree, {
    recursive: true,
    filter: (path) => {
      const inTree = relative(ROOT, path).split(sep);
      return !NOT_IN_A_CLONE.has(inTree[0] ?? '') && !LOCAL_DATABASE.test(path);
    },
  });
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
  // The build is most of this file's time: the database is synced (in this process) meanwhile.
  // Settled both ways so that afterAll stops the simulator even when the pack fails.
  const [pack, sync] = await Promise.allSettled([
    npm(['pack', '--json', '--pack-destination', work], tree),
    syncedDatabase({ users: 120, posts: 60, interactions: 2500 }),
  ]);
  if (sync.status === 'fulfilled') db = sync.value;
  if (pack.status === 'rejected') throw pack.reason;
  if (sync.status === 'rejected') throw sync.reason;
  const packOutput = pack.value;
  const [packed] = JSON.parse(packOutput.slice(packOutput.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
  }[];
  if (!packed) throw new Error(`npm pack printed no package: ${packOutput}`);
  packedFiles = packed.files.map((file) => file.path).sort();

  // Install the tarball the way a user does, from the registry, with one exception: better-sqlite3's
  // install script would download a prebuilt binary from GitHub (unreachable here and in CI) and then
  // compile SQLite from source (minutes on two cores). Scripts are skipped and the binary this project
  // built for the very same version is put where its loader looks; the version is pinned so they match.
  consumer = join(work, 'app');
  mkdirSync(consumer);
  const sqlite = join(ROOT, 'node_modules', 'better-sqlite3');
  const { version: sqliteVersion } = JSON.parse(readFileSync(join(sqlite, 'package.json'), 'utf8')) as {
    version: string;
  };
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({
      name: 'app',
      private: true,
      type: 'module',
      overrides: { 'better-sqlite3': sqliteVersion },
    }),
  );
  await npm(
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      join(work, packed.filename),
    ],
    consumer,
  );
  const release = join(consumer, 'node_modules', 'better-sqlite3', 'build', 'Release');
  mkdirSync(release, { recursive: true });
  copyFileSync(join(sqlite, 'build', 'Release', 'better_sqlite3.node'), join(release, 'better_sqlite3.node'));
}, 6 * SLOW_TEST_MS);

afterAll(async () => {
  await db?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('packs the compiled modules, their types and the README, and nothing else', () => {
    const outsideDist = packedFiles.filter((path) => !path.startsWith('dist/'));
    expect(outsideDist).toEqual(['README.md', 'package.json']);
    for (const folder of ['src/', 'test/', 'bench/', 'scripts/', '.ci/', 'node_modules/']) {
      expect(packedFiles.filter((path) => path.startsWith(folder))).toEqual([]);
    }
    expect(packedFiles.filter((path) => LOCAL_DATABASE.test(path) || /datasets?\//.test(path))).toEqual([]);
    expect(packedFiles.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
  });

  it('has every source module compiled, including those started as threads or child processes', () => {
    const sources = typeScriptModules(join(tree, 'src'));
    expect(sources).toContain('index.ts');
    expect(sources).toContain('server/sync-child.ts');
    const missing = sources
      .flatMap((source) => [source.replace(/\.ts$/, '.js'), source.replace(/\.ts$/, '.d.ts')])
      .map((compiled) => `dist/${compiled}`)
      .filter((compiled) => !packedFiles.includes(compiled));
    expect(missing).toEqual([]);
  });
});

describe('the installed package', () => {
  it(
    'resolves by name to the installed copy, not to this checkout',
    async () => {
      const { stdout } = await run(
        process.execPath,
        ['--input-type=module', '-e', "console.log(import.meta.resolve('empowerverse-feed'))"],
        { cwd: consumer },
      );
      expect(fileURLToPath(stdout.trim())).toBe(
        join(consumer, 'node_modules', 'empowerverse-feed', 'dist', 'index.js'),
      );
    },
    SLOW_TEST_MS,
  );

  it(
    "runs the README's library example on a synced SQLite file, answering as the sources do",
    async () => {
      writeFileSync(join(consumer, 'example.mjs'), readmeLibraryExample());
      const { stdout } = await run(process.execPath, ['example.mjs'], {
        cwd: consumer,
        env: { ...process.env, DATABASE_URL: db.path },
      });
      const printed = JSON.parse(stdout) as {
        usernames: string[];
        likes: number;
        viewed: number[];
        feed: number[];
      };

      // The same questions through this checkout's sources.
      const store = await openStore(db.path, { readonly: true });
      try {
        const { users } = await loadUsers(store, { limit: 3 });
        const user = users[0]!.id;
        const viewed: number[] = [];
        for await (const view of streamPostViews(store, { userId: user })) viewed.push(view.post_id);
        const snapshot = buildSnapshot(await loadTrainingDataFromStore(store), {
          models: ['popular', 'itemknn'],
        });
        const feed = recommendFeed(snapshot, { userId: user, model: 'itemknn', pageSize: 5 });
        expect(printed).toEqual({
          usernames: users.map((u) => u.username),
          likes: (await fetchPostLikesIds(store, { userId: user })).likes.length,
          viewed: [...new Set(viewed)],
          feed: feed.items.map((item) => item.postId),
        });
      } finally {
        await store.close();
      }
      expect(printed.usernames).toHaveLength(3);
      expect(printed.viewed.length).toBeGreaterThan(0);
      expect(printed.feed).toHaveLength(5);
      expect(printed.feed.filter((post) => printed.viewed.includes(post))).toEqual([]);
    },
    SLOW_TEST_MS,
  );

  it(
    'runs `npx empowerverse --help`',
    async () => {
      const { stdout } = await run('npx', ['--no-install', 'empowerverse', '--help'], {
        cwd: consumer,
        env: npmEnv(),
      });
      expect(stdout).toContain('Usage: empowerverse');
      for (const command of ['sync', 'stats', 'build', 'simulate', 'serve', 'demo', 'eval']) {
        expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
      }
    },
    SLOW_TEST_MS,
  );

  it(
    'serves feeds, building its model in a child process and serving from a worker thread',
    async () => {
      const served = join(work, 'served.db');
      copyFileSync(db.path, served);
      const bin = join(consumer, 'node_modules', '.bin', 'empowerverse');
      const serve: ChildProcess = spawn(
        process.execPath,
        [bin, 'serve', '--db', served, '--port', '0', '--workers', '1'],
        { cwd: consumer, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      serve.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      serve.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
      try {
        const url = await eventually(async () => {
          if (serve.exitCode !== null) throw new Error(`serve exited (${serve.exitCode}): ${stderr}`);
          return /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
        }, 60_000);
        await eventually(
          async () => ((await fetch(`${url}/ready`)).status === 200 ? true : undefined),
          60_000,
        );
        const ready = (await (await fetch(`${url}/ready`)).json()) as { model: { origin: string } };
        expect(ready.model.origin).toBe('built');
        const feed = await fetch(`${url}/feed?user_id=1&page_size=3`);
        expect(feed.status).toBe(200);
        expect(((await feed.json()) as { post: unknown[] }).post).toHaveLength(3);
      } finally {
        serve.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    },
    2 * SLOW_TEST_MS,
  );
});
