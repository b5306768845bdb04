// Ctrl-C handling for long commands: the first signal asks for a clean stop, the second forces it.
import type { Logger } from '../shared/logger.js';

export interface Interrupt {
  signal: AbortSignal;
  dispose(): void;
}

/** Aborts `signal` on the first SIGINT/SIGTERM; a second one exits at once with status 130. */
export function interruptSignal(logger?: Logger): Interrupt {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    logger?.warn({ signal: name }, 'stopping after the current page; press Ctrl-C again to force');
    process.stderr.write(`\n${name}: stopping after the current page (Ctrl-C again forces it)\n`);
    controller.abort(new Error(`interrupted by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
