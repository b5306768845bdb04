// Test support: `empowerverse serve` as a real process (see cli-process.ts), resolved with its URL once
// it listens.
import { type CliProcess, startCli } from './cli-process.js';

export interface ServeProcess {
  readonly child: CliProcess['child'];
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  stderr(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/** Starts `empowerverse serve --db <database> --port 0 --workers 1 …args` and resolves once it listens. */
export async function startServeProcess(
  database: string,
  { args = [], env = {} }: { args?: string[]; env?: Record<string, string> } = {},
): Promise<ServeProcess> {
  const cli = startCli(['serve', '--db', database, '--port', '0', '--workers', '1', ...args], {
    ADMIN_TOKEN: '',
    API_BASE_URL: '',
    ...env,
  });
  try {
    const [, url] = await cli.waitForStdout(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
    return { child: cli.child, url: url!, stderr: cli.stderr, stop: cli.stop };
  } catch (error) {
    cli.child.kill('SIGKILL');
    throw error;
  }
}
