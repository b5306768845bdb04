// `empowerverse demo`: the whole system on embedded defaults — simulated API, sync into data.db, stats.
import type { Command } from '@commander-js/extra-typings';
import { createLogger } from '../shared/logger.js';
import { startSimulator } from '../simulator/index.js';
import { openStore } from '../store/open.js';
import { logProgress, terminalProgress } from '../sync/progress.js';
import { runSync } from '../sync/sync.js';
import { formatStats, formatSyncReport } from './format.js';
import { interruptSignal } from './interrupt.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the system end to end on embedded defaults: simulated API → sync → data.db')
    .option('--db <path>', 'SQLite file to fill', 'data.db')
    .option('--users <n>', 'simulated users', '5000')
    .option('--posts <n>', 'simulated posts', '1500')
    .option('--interactions <n>', 'simulated interactions', '200000')
    .action(async (flags) => {
      const out = process.stdout;
      const token = 'demo-token';
      const simulator = await startSimulator({
        generate: {
          users: Number(flags.users),
          posts: Number(flags.posts),
          interactions: Number(flags.interactions),
        },
        token,
      });
      out.write(`simulated EmpowerVerse API on ${simulator.url}\n`);
      const store = await openStore(flags.db);
      const interrupt = interruptSignal();
      try {
        const progress = process.stderr.isTTY ? terminalProgress() : logProgress(createLogger());
        const report = await runSync({
          store,
          upstream: { baseUrl: simulator.url, token, pageSize: 1000 },
          signal: interrupt.signal,
          progress,
        });
        out.write(
          `\nsync into ${flags.db}:\n${formatSyncReport(report)}\n${formatStats(await store.stats())}`,
        );
      } finally {
        interrupt.dispose();
        await store.close();
        await simulator.close();
      }
    });
}
