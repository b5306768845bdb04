// Child module for the fork-module tests: says what it sees of itself, echoes one message, and exits.
// TypeScript syntax on purpose: it only runs when started through tsx.
import { getPriority } from 'node:os';

interface Hello {
  type: 'hello';
  pid: number;
  nice: number;
  cwd: string;
  execArgv: string[];
  marker: string | null;
}

const hello: Hello = {
  type: 'hello',
  pid: process.pid,
  nice: getPriority(),
  cwd: process.cwd(),
  execArgv: process.execArgv,
  marker: process.env.FORK_FIXTURE_MARKER ?? null,
};

process.once('message', (message: unknown) => {
  process.send?.({ type: 'echo', message }, undefined, undefined, () => process.exit(0));
});
process.send?.(hello);
