// `empowerverse demo`: the whole system on embedded defaults — simulated EmpowerVerse API → sync into
// data.db → model → feed served on port 8000, with example URLs; Ctrl-C stops everything cleanly.
import { randomBytes } from 'node:crypto';
import type { Command } from '@commander-js/extra-typings';
import { closeOnSignal } from '../server/cli.js';
import { startServer } from '../server/serve.js';
import { FeedError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { registerSecret } from '../shared/redact.js';
import { startSimulator } from '../simulator/index.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { logProgress, terminalProgress } from '../sync/progress.js';
import { storeSyncRun, syncRunOf } from '../sync/run-record.js';
import { runSync } from '../sync/sync.js';
import { formatStats, formatSyncReport } from './format.js';
import { interruptSignal } from './interrupt.js';

function count(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new FeedError('bad_request', `${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A user worth showing (the one with the most likes), a category name and a username from the store. */
async function examples(
  store: Store,
): Promise<{ userId: number; postId: number; category: string | null; username: string | null }> {
  const liker = await store.db
    .selectFrom('PostLike')
    .select(['user_id', (eb) => eb.fn.countAll().as('n')])
    .groupBy('user_id')
    .orderBy('n', 'desc')
    .orderBy('user_id')
    .limit(1)
    .executeTakeFirst();
  const userId = liker ? Number(liker.user_id) : 1;
  const post = await store.db
    .selectFrom('Post')
    .select(['id', 'category'])
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  let category: string | null = null;
  try {
    const parsed = post?.category ? (JSON.parse(post.category) as { name?: unknown }) : null;
    category = typeof parsed?.name === 'string' ? parsed.name : null;
  } catch {
    category = null;
  }
  const user = await store.db
    .selectFrom('User')
    .select('username')
    .where('id', '=', userId)
    .executeTakeFirst();
  return { userId, postId: post ? Number(post.id) : 1, category, username: user?.username ?? null };
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the whole system on embedded defaults: simulated API → sync → data.db → model → feed on port 8000',
    )
    .option('--db <path>', 'SQLite file to fill (an existing one is refreshed)', 'data.db')
    .option('--port <n>', 'port of the feed service', '8000')
    .option('--host <host>', 'interface of the feed service', '127.0.0.1')
    .option('--users <n>', 'simulated users', '5000')
    .option('--posts <n>', 'simulated posts', '1500')
    .option('--interactions <n>', 'simulated interactions', '200000')
    .action(async (flags) => {
      const out = process.stdout;
      const port = Number(flags.port);
      if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
        throw new FeedError(
          'bad_request',
          `--port must be an integer 0..65535, got ${JSON.stringify(flags.port)}`,
        );
      }
      const token = 'demo-token';
      const simulator = await startSimulator({
        generate: {
          users: count('--users', flags.users),
          posts: count('--posts', flags.posts),
          interactions: count('--interactions', flags.interactions),
        },
        token,
      });
      try {
        out.write(`1. simulated EmpowerVerse API on ${simulator.url}\n`);
        const store = await openStore(flags.db);
        const interrupt = interruptSignal();
        let example: Awaited<ReturnType<typeof examples>>;
        try {
          const progress = process.stderr.isTTY ? terminalProgress() : logProgress(createLogger());
          const startedAt = new Date();
          const report = await runSync({
            store,
            upstream: { baseUrl: simulator.url, token, pageSize: 1000 },
            signal: interrupt.signal,
            progress,
          });
          await storeSyncRun(
            store,
            syncRunOf(report, { trigger: 'demo', startedAt, aborted: interrupt.signal.aborted }),
          );
          out.write(
            `\n2. sync into ${flags.db}:\n${formatSyncReport(report)}\n${formatStats(await store.stats())}`,
          );
          if (interrupt.signal.aborted) {
            process.exitCode = 130;
            return;
          }
          example = await examples(store);
        } finally {
          interrupt.dispose();
          await store.close();
        }

        const adminToken = process.env.ADMIN_TOKEN || randomBytes(12).toString('hex');
        registerSecret(adminToken);
        out.write('\n3. building the model and starting the feed service…\n');
        const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
        const server = await startServer({
          database: flags.db,
          host: flags.host,
          port,
          adminToken,
          upstream: { baseUrl: simulator.url, token, pageSize: 1000 },
          logger,
          waitForModel: true,
        });
        const info = server.model.info;
        const u = server.url;
        const { userId, postId, category, username } = example;
        const rows: [string, string][] = [
          [`feed of user ${userId}`, `${u}/feed?user_id=${userId}&page_size=10`],
          ['page 2', `${u}/feed?user_id=${userId}&page=2`],
          ...(category
            ? [
                ['one category', `${u}/feed?user_id=${userId}&category=${encodeURIComponent(category)}`] as [
                  string,
                  string,
                ],
              ]
            : []),
          ['with explanations', `${u}/feed?user_id=${userId}&page_size=5&explain=true`],
          ...(username
            ? [['by username', `${u}/feed?username=${encodeURIComponent(username)}`] as [string, string]]
            : []),
          ['a brand-new (cold) user', `${u}/feed?user_id=987654321`],
          ['bad input (400)', `${u}/feed?user_id=abc`],
          [`posts similar to post ${postId}`, `${u}/posts/${postId}/similar?page_size=10`],
          ['…minus what the user saw', `${u}/posts/${postId}/similar?user_id=${userId}&explain=true`],
          ['trending', `${u}/feed/trending?page_size=10`],
          ['trending, unseen by the user', `${u}/feed/trending?user_id=${userId}&page_size=10`],
          ['latest', `${u}/feed/latest?page_size=10`],
          ...(category
            ? [
                ['latest in one category', `${u}/feed/latest?category=${encodeURIComponent(category)}`] as [
                  string,
                  string,
                ],
              ]
            : []),
          ['unknown post (404)', `${u}/posts/987654321/similar`],
          ['platform data', `${u}/posts/summary/get?page=1&page_size=2`],
          ['liveness / readiness', `${u}/health   ${u}/ready`],
          ['Prometheus metrics', `${u}/metrics`],
          ['API docs (OpenAPI)', `${u}/docs   ${u}/openapi.json`],
          ['dashboard', `${u}/dashboard   (sign in with the admin token below)`],
        ];
        const width = Math.max(...rows.map(([label]) => label.length)) + 2;
        out.write(
          [
            '',
            `4. feed service on ${u} (model: ${info?.posts} posts, ${info?.users} users, built in ${info?.buildSeconds.toFixed(1)} s)`,
            '',
            ...rows.map(([label, url]) => `   ${label.padEnd(width)}${url}`),
            '',
            `   report a like:   curl -X POST ${u}/events -H 'content-type: application/json' \\`,
            `                      -d '{"user_id": ${userId}, "post_id": 1, "type": "like"}'`,
            `   re-sync (admin): curl -X POST ${u}/admin/sync -H 'Authorization: Bearer ${adminToken}'`,
            '',
            'Ctrl-C stops the service and the simulated API.',
            '',
          ].join('\n'),
        );
        await closeOnSignal(server, logger);
        out.write('stopped.\n');
      } finally {
        await simulator.close();
      }
    });
}
