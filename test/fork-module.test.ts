// forkModule / siblingModuleUrl: a real child process from TypeScript source (through tsx, whatever the
// working directory) and from plain JavaScript, with an IPC channel and a lowered CPU priority.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkModule, siblingModuleUrl, startModuleThread } from '../src/shared/fork-module.js';

const FIXTURE = new URL('./support/fork-fixture.ts', import.meta.url);

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fork-module-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Collects the child's messages until it exits; sends `reply` once it said hello. */
function converse(
  child: ChildProcess,
  reply: unknown,
): Promise<{ messages: Record<string, unknown>[]; code: number | null }> {
  const messages: Record<string, unknown>[] = [];
  return new Promise((resolve, reject) => {
    child.on('message', (message: Record<string, unknown>) => {
      messages.push(message);
      if (message.type === 'hello') child.send(reply as object);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ messages, code }));
  });
}

describe('siblingModuleUrl', () => {
  it('names the .ts sibling from source and the .js sibling when compiled', () => {
    expect(siblingModuleUrl('file:///app/src/server/sync-runner.ts', 'sync-child').href).toBe(
      'file:///app/src/server/sync-child.ts',
    );
    expect(siblingModuleUrl('file:///app/dist/server/sync-runner.js', 'sync-child').href).toBe(
      'file:///app/dist/server/sync-child.js',
    );
  });
});

describe('forkModule', () => {
  it('runs a .ts module through tsx at nice 19 with an advanced-serialisation IPC channel', async () => {
    const child = forkModule(FIXTURE, { env: { ...process.env, FORK_FIXTURE_MARKER: 'm-1' } });
    const payload = { bytes: new Uint8Array([1, 2, 3]), when: new Date(0), map: new Map([['a', 1]]) };
    const { messages, code } = await converse(child, payload);
    expect(code).toBe(0);
    const hello = messages.find((m) => m.type === 'hello')!;
    expect(hello.pid).toBe(child.pid);
    expect(hello.pid).not.toBe(process.pid);
    expect(hello.nice).toBe(19);
    expect(hello.marker).toBe('m-1');
    expect((hello.execArgv as string[])[0]).toBe('--import');
    expect((hello.execArgv as string[])[1]).toMatch(/^file:\/\/.*\/tsx\/dist\/loader\.mjs$/);
    expect(messages.find((m) => m.type === 'echo')?.message).toEqual(payload);
  });

  it('finds tsx when started from another working directory, and takes a nice value', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    let child: ChildProcess;
    try {
      child = forkModule(FIXTURE, { nice: 10, serialization: 'json' });
    } finally {
      process.chdir(cwd);
    }
    const { messages, code } = await converse(child, { hi: 1 });
    expect(code).toBe(0);
    const hello = messages.find((m) => m.type === 'hello')!;
    expect(hello.cwd).toBe(dir);
    expect(hello.nice).toBe(10);
    expect(messages.find((m) => m.type === 'echo')?.message).toEqual({ hi: 1 });
  });

  it('runs a .js module on plain node, without the parent’s or tsx’s flags', async () => {
    const entry = join(dir, 'plain-child.js');
    await writeFile(
      entry,
      "const os = require('node:os');\n" +
        "process.once('message', (m) => process.send({ type: 'echo', message: m }, () => process.exit(0)));\n" +
        "process.send({ type: 'hello', nice: os.getPriority(), execArgv: process.execArgv });\n",
    );
    const child = forkModule(pathToFileURL(entry), { execArgv: ['--max-old-space-size=256'] });
    const { messages, code } = await converse(child, 'bye');
    expect(code).toBe(0);
    expect(messages[0]).toEqual({ type: 'hello', nice: 19, execArgv: ['--max-old-space-size=256'] });
    expect(messages[1]).toEqual({ type: 'echo', message: 'bye' });
  });

  it('refuses a nice value outside -20..19 before starting anything', () => {
    expect(() => forkModule(FIXTURE, { nice: 20 })).toThrow('nice must be an integer -20..19, got 20');
    expect(() => forkModule(FIXTURE, { nice: 1.5 })).toThrow(RangeError);
  });
});

describe.runIf(existsSync('/proc/thread-self'))('lowerThisThreadPriority', () => {
  it('lowers the calling worker thread only, not the process it runs in', async () => {
    const own = getPriority();
    // Lower than the test's own niceness (raising one needs privileges), unless that is already 19.
    const target = Math.min(19, own + 2);
    const worker = startModuleThread(
      new URL('./support/thread-priority-fixture.ts', import.meta.url),
      target,
    );
    const report = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(report).toEqual({ before: own, lowered: true, after: target });
    expect(getPriority()).toBe(own);
  });
});
