// The sync pipeline on every storage dialect: the same exact-count guarantees on PostgreSQL as on SQLite.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.js';
import type { Store } from '../src/store/types.js';
import { runSync } from '../src/sync/sync.js';
import { StoreFactory, storeBackends } from './support/store-backends.js';

const TOKEN = 'dialect-token-31b';
const backends = await storeBackends();

describe.each(backends)('sync into $dialect', ({ dialect, skipReason }) => {
  let simulator: RunningSimulator;
  let factory: StoreFactory;
  let store: Store;

  beforeEach(async () => {
    if (skipReason) return;
    simulator = await startSimulator({
      generate: { users: 150, posts: 40, interactions: 3000, seed: 11 },
      token: TOKEN,
    });
    factory = new StoreFactory(dialect);
    store = await factory.open();
  });
  afterEach(async () => {
    if (skipReason) return;
    await factory.cleanup();
    await simulator.close();
  });

  const sync = () =>
    runSync({
      store,
      upstream: {
        baseUrl: simulator.url,
        token: TOKEN,
        pageSize: 100,
        minRetryDelayMs: 1,
        maxRetryDelayMs: 5,
      },
    });

  it.skipIf(skipReason !== null)(
    'stores exactly what was served, and a second sync changes nothing',
    async () => {
      simulator.setFaults({ duplicateRate: 0.3, invalidRecords: [{ source: 'ratings', index: 7 }] });
      const first = await sync();
      expect(first.ok).toBe(true);
      const expected = simulator.expectedValidCounts();
      const { tables } = await store.stats();
      expect(tables).toEqual({
        User: expected.users,
        Post: expected.posts,
        PostView: expected.views,
        PostLike: expected.likes,
        PostInspire: expected.inspires,
        PostRating: expected.ratings,
        PostSummary: expected.posts,
      });
      const second = await sync();
      expect(second.sources.map((s) => s.changed)).toEqual(second.sources.map(() => 0));
      expect((await store.stats()).tables).toEqual(tables);
    },
  );

  it.skipIf(skipReason !== null)('resumes a source at the page that failed, with exact counts', async () => {
    simulator.setFaults({ malformedPages: [{ source: 'views', page: 4, times: 'always' }] });
    const failed = await sync();
    expect(failed.sources.find((s) => s.source === 'views')).toMatchObject({ status: 'failed', pages: 3 });
    simulator.setFaults({});
    const resumed = await sync();
    expect(resumed.sources.find((s) => s.source === 'views')).toMatchObject({
      status: 'complete',
      startPage: 4,
    });
    expect((await store.stats()).tables.PostView).toBe(simulator.count('views'));
  });
});
