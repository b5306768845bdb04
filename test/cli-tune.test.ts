// `empowerverse tune` on a small simulated database, run as the real CLI: within a short budget it
// stores a configuration no worse than the defaults on the validation split, and the next
// `empowerverse build` fits with it (its data key carries the tuned options and the tuning's id).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBuildOptions } from '../src/recommend/index.js';
import { openStore } from '../src/store/open.js';
import { latestTunedConfig } from '../src/store/tuned-configs.js';
import { startCli } from './support/cli-process.js';
import { type SyncedDatabase, syncedDatabase } from './support/feed-server.js';

let db: SyncedDatabase;
beforeAll(async () => {
  db = await syncedDatabase({ users: 150, posts: 60, interactions: 3000 });
}, 120_000);
afterAll(() => db?.cleanup());

const stable = (value: unknown) =>
  JSON.parse(
    JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)),
  );

describe('empowerverse tune', () => {
  it('refuses a bad budget', async () => {
    const cli = startCli(['tune', '--db', db.path, '--budget', 'soon']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain('--budget must be a number of seconds');
  });

  it('stores a configuration at least as good as the defaults, and the next build uses it', async () => {
    const before = startCli(['build', '--db', db.path, '--models', 'popular,ease,hybrid']);
    expect(await before.exited).toBe(0);
    expect(before.stdout()).toContain('configuration: defaults (no stored tuning)');

    const tuned = startCli(['tune', '--db', db.path, '--budget', '3']);
    expect(await tuned.exited).toBe(0);
    expect(tuned.stdout()).toMatch(/hybrid NDCG@20 on validation: defaults \d\.\d{4} → tuned \d\.\d{4}/);
    const id = Number(/stored as tuning (\d+)/.exec(tuned.stdout())?.[1]);
    expect(id).toBeGreaterThan(0);

    const store = await openStore(db.path);
    try {
      const config = (await latestTunedConfig(store.db))!;
      expect(config.id).toBe(id);
      expect(config.baseline.users).toBeGreaterThan(0);
      expect(config.tuned.ndcg20).toBeGreaterThanOrEqual(config.baseline.ndcg20);
      expect(config.budgetSeconds).toBe(3);
      expect(config.trials).toBeGreaterThan(0);
      expect(Object.keys(config.watermark)).toContain('posts');

      const build = startCli(['build', '--db', db.path, '--json']);
      expect(await build.exited).toBe(0);
      const built = JSON.parse(build.stdout()) as {
        meta: { dataKey: string; tuned: { id: number; tunedNdcg20: number } | null };
      };
      expect(built.meta.tuned).toMatchObject({ id, tunedNdcg20: config.tuned.ndcg20 });
      const key = JSON.parse(built.meta.dataKey) as { options: unknown; tuned: number };
      expect(key.tuned).toBe(id);
      expect(key.options).toEqual(stable(resolveBuildOptions(config.options)));

      const text = startCli(['build', '--db', db.path]);
      expect(await text.exited).toBe(0);
      expect(text.stdout()).toContain(`configuration: tuned #${id} of ${config.createdAt}`);
    } finally {
      await store.close();
    }
  }, 180_000);
});
