// `empowerverse serve --replicas N`: N `serve` processes on one PostgreSQL database, on ports
// port..port+N-1, for trying replicas on one machine. In production each replica runs on its own (one
// `serve` per host or container) behind a load balancer; this only saves starting them by hand.
import { type ChildProcess, spawn } from 'node:child_process';

/** `args` without the flags named (as `--flag value` or `--flag=value`). */
export function withoutFlags(args: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (flags.includes(arg)) {
      i++; // and its value
      continue;
    }
    if (flags.some((flag) => arg.startsWith(`${flag}=`))) continue;
    out.push(arg);
  }
  return out;
}

export interface ReplicasOptions {
  count: number;
  /** The first replica's port; the others take the next ones. */
  port: number;
  /** `serve`'s arguments for every replica (without --replicas and --port). */
  args: readonly string[];
  /** Called with each replica's pid and port once it is spawned. */
  onSpawn?: (pid: number | undefined, port: number) => void;
}

/**
 * Starts the replicas (this CLI, the same Node flags, `serve … --port p`), passes SIGINT/SIGTERM on to them
 * and resolves with an exit status once all have stopped: 0 when every one stopped cleanly, else 1. A
 * replica that stops on its own is reported; the others keep serving.
 */
export function runReplicas({ count, port, args, onSpawn }: ReplicasOptions): Promise<number> {
  const entry = process.argv[1];
  if (entry === undefined) throw new Error('cannot tell which script runs the CLI');
  return new Promise((resolve) => {
    const live = new Set<ChildProcess>();
    let stopping = false;
    let failed = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      process.stderr.write(`\n${signal}: stopping ${live.size} replica(s) (Ctrl-C again forces it)\n`);
      for (const child of live) child.kill('SIGTERM');
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    for (let i = 0; i < count; i++) {
      const replicaPort = port + i;
      const child = spawn(
        process.execPath,
        [...process.execArgv, entry, 'serve', ...args, '--port', String(replicaPort)],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
      live.add(child);
      onSpawn?.(child.pid, replicaPort);
      // A failed spawn is followed by 'exit' (with a code), which settles it.
      child.on('error', (error) =>
        process.stderr.write(`replica on port ${replicaPort}: ${error.message}\n`),
      );
      child.once('exit', (code, signal) => {
        live.delete(child);
        if (code !== 0) failed = true;
        if (!stopping) {
          process.stderr.write(
            `replica on port ${replicaPort} stopped (${signal ?? `exit code ${code}`}); ${live.size} still serving\n`,
          );
        }
        if (live.size === 0) {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve(failed ? 1 : 0);
        }
      });
    }
  });
}
