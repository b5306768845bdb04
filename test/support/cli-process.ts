// Test support: the `empowerverse` CLI from source as a real child process, with its output collected.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from './feed-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /**
   * Resolves with the exit code once the process ends, or the signal's name when one killed it (so a
   * failed `toBe(0)` says which signal).
   */
  exited: Promise<number | NodeJS.Signals>;
  /** Waits (bounded) until stdout matches `pattern`; fails at once if the process exits first. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then waits for the exit (at once if it has exited already). */
  stop(): Promise<void>;
}

/** Runs `empowerverse <args>` (through tsx, from the repository root) with `env` added to this one's. */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    // Node gives exactly one of the two.
    child.once('exit', (code, signal) => resolve(signal ?? (code as number))),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout: (pattern, timeoutMs = 90_000) =>
      eventually(async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`exited early (${child.exitCode ?? child.signalCode}): ${err}`);
        }
        return pattern.exec(out) ?? undefined;
      }, timeoutMs),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
