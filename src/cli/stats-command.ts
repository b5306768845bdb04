// `empowerverse stats`: row counts per table, orphaned interactions, last sync per source.

import { existsSync } from 'node:fs';
import type { Command } from '@commander-js/extra-typings';
import { loadConfig } from '../config/config.js';
import { FeedError } from '../shared/errors.js';
import { openStore, parseDatabaseUrl } from '../store/open.js';
import { formatStats } from './format.js';

export function registerStatsCommand(program: Command): void {
  program
    .command('stats')
    .description('Print row counts per table, orphaned interactions and when each source last synced')
    .option('--db <path-or-url>', 'SQLite file or postgres:// URL (env DATABASE_URL, default data.db)')
    .option('--json', 'print JSON')
    .action(async (flags) => {
      const config = loadConfig(process.env, { database: flags.db });
      const target = parseDatabaseUrl(config.database);
      // Reporting must not create an empty database as a side effect.
      if (target.dialect === 'sqlite' && target.path !== ':memory:' && !existsSync(target.path)) {
        throw new FeedError('not_found', `no database at ${target.path}: run \`empowerverse sync\` first`);
      }
      const store = await openStore(config.database);
      try {
        const stats = await store.stats();
        process.stdout.write(flags.json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
      } finally {
        await store.close();
      }
    });
}
