// Stored tunings (migration 0007), once per dialect: none at first (the defaults apply), then the newest
// wins, with its options (Infinity kept), metrics, trial count, budget and watermark read back.
import { afterEach, describe, expect, it } from 'vitest';
import { latestTunedConfig, saveTunedConfig } from '../src/store/tuned-configs.js';
import { StoreFactory, storeBackends } from './support/store-backends.js';

const backends = await storeBackends();

const metrics = (ndcg20: number) => ({
  users: 12,
  recall10: 0.1,
  ndcg10: 0.08,
  recall20: 0.2,
  ndcg20,
  coverage20: 0.3,
});

describe.each(backends)('tuned configurations on $dialect', ({ dialect, skipReason }) => {
  const factory = new StoreFactory(dialect);
  afterEach(() => factory.cleanup());

  it.skipIf(skipReason !== null)('answers null before any tuning, then the newest stored one', async () => {
    const store = await factory.open();
    expect(await latestTunedConfig(store.db)).toBeNull();
    await saveTunedConfig(store.db, {
      options: { ease: { lambda: 10 } },
      baseline: metrics(0.1),
      tuned: metrics(0.11),
      trials: 3,
      watermark: { users: 'complete@a#0' },
    });
    const at = new Date('2026-12-03T08:00:00.000Z');
    const id = await saveTunedConfig(
      store.db,
      {
        options: { halfLifeDays: Number.POSITIVE_INFINITY, hybrid: { weights: { ease: 1, popular: 0.05 } } },
        baseline: metrics(0.2),
        tuned: metrics(0.25),
        trials: 41,
        budgetSeconds: 60,
        watermark: { users: 'complete@b#0', posts: 'never' },
      },
      at,
    );
    expect(await latestTunedConfig(store.db)).toEqual({
      id,
      createdAt: at.toISOString(),
      options: { halfLifeDays: Number.POSITIVE_INFINITY, hybrid: { weights: { ease: 1, popular: 0.05 } } },
      baseline: metrics(0.2),
      tuned: metrics(0.25),
      trials: 41,
      budgetSeconds: 60,
      watermark: { users: 'complete@b#0', posts: 'never' },
    });
    const third = await saveTunedConfig(store.db, {
      options: {},
      baseline: metrics(0.2),
      tuned: metrics(0.2),
      trials: 0,
      budgetSeconds: Number.POSITIVE_INFINITY,
      watermark: {},
    });
    expect(await latestTunedConfig(store.db)).toMatchObject({ id: third, budgetSeconds: null, options: {} });
  });
});
