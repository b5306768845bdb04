// `empowerverse stats`: row counts per table, orphaned interactions, last sync per source.
import type { Command } from '@commander-js/extra-typings';
import { loadConfig } from '../config/config.js';
import { openStore } from '../store/open.js';
import { formatStats } from './format.js';

export function registerStatsCommand(program: Command): void {
  program
    .command('stats')
    .description('Print row counts per table, orphaned interactions and when each source last synced')
    .option('--db <path-or-url>', 'SQLite file or postgres:// URL (env DATABASE_URL, default data.db)')
    .option('--json', 'print JSON')
    .action(async (flags) => {
      const config = loadConfig(process.env, { database: flags.db });
      const store = await openStore(config.database);
      try {
        const stats = await store.stats();
        process.stdout.write(flags.json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
      } finally {
        await store.close();
      }
    });
}
