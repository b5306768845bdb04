// Test support: `empowerverse serve` as a real process (through tsx), its URL once it listens, and a
// clean stop.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from './feed-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServeProcess {
  readonly child: ChildProcess;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `empowerverse serve --db <database> --port 0 …args` and resolves once it listens. */
export async function startServeProcess(
  database: string,
  { args = [], env = {} }: { args?: string[]; env?: Record<string, string> } = {},
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '--db',
      database,
      '--port',
      '0',
      '--workers',
      '1',
      ...args,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ADMIN_TOKEN: '', API_BASE_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`serve exited early (${child.exitCode}): ${err}`);
      return /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    }, 60_000);
    return {
      child,
      url,
      stderr: () => err,
      async stop() {
        if (child.exitCode === null) child.kill('SIGTERM');
        return exited;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
