// The model lifecycle behind the server: readiness before and after the first build, builds in worker
// threads swapped in atomically while requests keep flowing, queued rebuilds, and a failed build that
// leaves the old model serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSnapshot, recommendFeed } from '../src/recommend/index.js';
import { ColdFeeds } from '../src/server/cold-feeds.js';
import { ModelHolder, type SnapshotRelease } from '../src/server/model-holder.js';
import { FeedError } from '../src/shared/errors.js';
import { openStore } from '../src/store/open.js';
import { loadTrainingDataFromStore } from '../src/store/training-data.js';
import { saveTunedConfig } from '../src/store/tuned-configs.js';
import { type SyncedDatabase, startTestServer, syncedDatabase } from './support/feed-server.js';

let db: SyncedDatabase;

beforeAll(async () => {
  db = await syncedDatabase({ users: 300, posts: 100, interactions: 6000 });
});

afterAll(async () => {
  await db?.cleanup();
});

describe('cold-start feeds', () => {
  it('are the same for every user without history, so each snapshot computes them once', async () => {
    const store = await openStore(db.path);
    let data: Awaited<ReturnType<typeof loadTrainingDataFromStore>>;
    try {
      data = await loadTrainingDataFromStore(store);
    } finally {
      await store.close();
    }
    const silent = 777_777; // a known user without a single interaction
    const snapshot = buildSnapshot({ ...data, users: Int32Array.from([...data.users, silent]) });
    const feeds = new ColdFeeds(snapshot);
    const category = snapshot.base.categoryNames[0]!;
    for (const model of snapshot.models.keys()) {
      for (const request of [
        { model, pageSize: 10 },
        { model, page: 2, pageSize: 7, explain: true },
        { model, category, pageSize: 5 },
      ]) {
        const unknown = recommendFeed(snapshot, { ...request, userId: 987_654_321 });
        expect(recommendFeed(snapshot, { ...request, userId: silent }), model).toEqual(unknown);
        expect(recommendFeed(snapshot, request), model).toEqual(unknown);
        expect(feeds.feed({ ...request, userId: silent }), model).toEqual(unknown);
        expect(feeds.feed({ ...request, userId: 123_456_789 }), model).toEqual(unknown);
      }
    }
    const hits = feeds.hits;
    expect(hits).toBeGreaterThan(0);
    // Users with history, or with live events, are always scored.
    const warm = data.interactions.userId[0]!;
    expect(feeds.feed({ userId: warm, pageSize: 10 })).toEqual(
      recommendFeed(snapshot, { userId: warm, pageSize: 10 }),
    );
    const live = {
      userId: silent,
      pageSize: 10,
      liveEvents: [{ postId: snapshot.base.postIds[0]!, kind: 'like' as const }],
    };
    expect(feeds.feed(live)).toEqual(recommendFeed(snapshot, live));
    expect(feeds.hits).toBe(hits);
  });
});

describe('readiness', () => {
  it('is 503 until the first model is built, while /health already answers; then 200', async () => {
    const server = await startTestServer(db.path, { buildFirst: false });
    try {
      expect((await server.get('/health')).status).toBe(200);
      const before = await server.get('/ready');
      expect(before.status).toBe(503);
      expect(before.body).toMatchObject({
        status: 'not_ready',
        checks: { store: { ok: true }, model: { ok: false, building: false } },
        model: null,
      });
      const feed = await server.get('/feed?user_id=1');
      expect(feed.status).toBe(503);
      expect(feed.body).toEqual({
        status: 'error',
        message: 'the model is still being built; try again shortly (see /ready)',
      });

      const building = server.model.rebuild();
      expect((await server.get('/ready')).body.checks.model.building).toBe(true);
      await building;
      const after = await server.get('/ready');
      expect(after.status).toBe(200);
      expect(after.body.status).toBe('ready');
      expect(after.body.model).toMatchObject({ generation: 1, posts: 100, users: 300 });
      expect((await server.get('/feed?user_id=1')).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('model swap', () => {
  it('serves a stream of concurrent requests through two rebuilds without one failed request', async () => {
    const server = await startTestServer(db.path, { model: { workers: 2 } });
    try {
      let rebuilding = true;
      const statuses = new Map<number, number>();
      let requests = 0;
      let emptyFeeds = 0;
      const deadline = Date.now() + 60_000;
      const loop = async (seed: number) => {
        let extra = 0;
        // Until both swaps are done, then a few more; bounded in count and time.
        while ((rebuilding || extra++ < 20) && requests < 20_000 && Date.now() < deadline) {
          requests++;
          const userId = 1 + ((seed * 7919 + requests * 104_729) % 350);
          const page = 1 + (requests % 3);
          const res = await fetch(`${server.url}/feed?user_id=${userId}&page=${page}&page_size=10`);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const body = (await res.json()) as { post?: unknown[] };
          if (!Array.isArray(body.post) || body.post.length === 0) emptyFeeds++;
        }
      };
      const releases: SnapshotRelease[] = [];
      server.model.onRelease((release) => releases.push(release));
      const loops = Array.from({ length: 8 }, (_, i) => loop(i + 1));
      const first = await server.model.rebuild();
      const second = await server.model.rebuild();
      rebuilding = false;
      await Promise.all(loops);
      expect([first.generation, second.generation]).toEqual([2, 3]);
      expect([...statuses.keys()]).toEqual([200]);
      expect(emptyFeeds).toBe(0);
      expect(requests).toBeGreaterThan(160);
      expect(server.model.info?.generation).toBe(3);
      expect((await server.get('/ready')).body.model.generation).toBe(3);
      // Each replaced snapshot is let go by every thread (the HTTP thread, both workers): its shared
      // memory is returned at once rather than held beside the next one.
      const deadline2 = Date.now() + 10_000;
      while (releases.length < 2 && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 20));
      expect(releases.map((r) => [r.generation, r.released, r.gcMs.workers.length])).toEqual([
        [1, true, 2],
        [2, true, 2],
      ]);
    } finally {
      await server.close();
    }
  });

  it('queues one more build for calls during a build, shared by all of them', async () => {
    const holder = new ModelHolder({ source: { kind: 'database', url: db.path } });
    try {
      const builds = [holder.rebuild(), holder.rebuild(), holder.rebuild()];
      const infos = await Promise.all(builds);
      expect(infos.map((i) => i.generation)).toEqual([1, 2, 2]);
      expect(holder.info?.generation).toBe(2);
    } finally {
      await holder.close();
    }
  });

  it('gives the same feed from every worker of a snapshot', async () => {
    const holder = new ModelHolder({ source: { kind: 'database', url: db.path }, workers: 2 });
    try {
      await holder.rebuild();
      // Every worker has the snapshot open before it is swapped in.
      expect(holder.workerCount).toEqual({ serving: 2, configured: 2 });
      const feeds = await Promise.all(
        Array.from({ length: 12 }, () => holder.feed({ userId: 17, pageSize: 20, page: 2 })),
      );
      for (const feed of feeds) expect(feed.items).toEqual(feeds[0]!.items);
    } finally {
      await holder.close();
    }
  });

  it('keeps the old model serving when a build fails, and says why', async () => {
    const store = await openStore(db.path);
    const holder = new ModelHolder({ source: { kind: 'store', store } });
    const failures: Error[] = [];
    holder.onFailure((e) => failures.push(e));
    try {
      await holder.rebuild();
      const before = await holder.feed({ userId: 3, pageSize: 5 });
      await store.close(); // the next build cannot read its data
      await expect(holder.rebuild()).rejects.toThrow();
      expect(failures).toHaveLength(1);
      expect(holder.lastError).toEqual(expect.any(String));
      expect(holder.info?.generation).toBe(1);
      expect((await holder.feed({ userId: 3, pageSize: 5 })).items).toEqual(before.items);
    } finally {
      await holder.close();
    }
  });

  it('reports a build that fails inside the build process as model_unavailable', async () => {
    const holder = new ModelHolder({
      source: { kind: 'database', url: db.path },
      build: { models: ['no-such-model' as never] },
    });
    try {
      const error = await holder.rebuild().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).code).toBe('model_unavailable');
      expect((error as FeedError).message).toMatch(
        /^model build failed: models: unknown model 'no-such-model'/,
      );
      await expect(holder.feed({ userId: 1 })).rejects.toThrow('the model is still being built');
    } finally {
      await holder.close();
    }
  });

  it('replaces a serving worker that dies, reopening the shared snapshot without a rebuild', async () => {
    const holder = new ModelHolder({ source: { kind: 'database', url: db.path } });
    try {
      await holder.start();
      // Reach into the pool and end the thread as a crash would.
      const workers = (holder as unknown as { workers: { worker: { terminate(): Promise<number> } }[] })
        .workers;
      await workers[0]!.worker.terminate();
      await expect(holder.feed({ userId: 1 })).rejects.toThrow('no model worker is running');
      for (let i = 0; i < 400 && holder.workerCount.serving < 1; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(holder.workerCount).toEqual({ serving: 1, configured: 1 });
      expect(holder.info?.generation).toBe(1);
      expect((await holder.feed({ userId: 1, pageSize: 3 })).items).toHaveLength(3);
    } finally {
      await holder.close();
    }
  });

  it('refuses a bad worker count', () => {
    expect(() => new ModelHolder({ source: { kind: 'database', url: db.path }, workers: 0 })).toThrow(
      'workers must be an integer 1..64, got 0',
    );
  });
});

describe('configuration in force', () => {
  const ADMIN = 'configuration-admin-token';
  const bearer = { authorization: `Bearer ${ADMIN}` };
  const metrics = (ndcg20: number) => ({
    users: 40,
    recall10: 0.1,
    ndcg10: 0.08,
    recall20: 0.2,
    ndcg20,
    coverage20: 0.3,
  });
  /** The model_configuration_info series of a /metrics text. */
  const configurationSeries = (text: string) =>
    text.split('\n').filter((line) => line.startsWith('model_configuration_info{'));

  it('is the defaults until a tuning is stored, then that tuning from the next build on (/ready, /metrics, dashboard)', async () => {
    const server = await startTestServer(db.path, { app: { adminToken: ADMIN } });
    try {
      const first = server.model.info!;
      expect(first.tuned).toBeNull();
      const ready = await server.get('/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.configuration).toEqual({
        tuned: null,
        line: 'defaults (no stored tuning)',
        since: first.servingSince,
      });
      // The OpenAPI document describes it (from the same response schema).
      const ready200 = (await server.get('/openapi.json')).body.paths['/ready'].get.responses['200'];
      expect(JSON.stringify(ready200)).toContain('baseline_ndcg20');
      expect(configurationSeries((await server.get('/metrics')).text)).toEqual([
        `model_configuration_info{tuned_id="defaults",serving_since="${first.servingSince}"} 1`,
      ]);
      const overview = await server.get('/dashboard', bearer);
      expect(overview.status).toBe(200);
      expect(overview.text).toContain('data-tuned="defaults"');
      expect(overview.text).toContain('defaults (no stored tuning), serving since');

      // A stored tuning is in force from the next build, not before.
      const createdAt = new Date('2026-12-01T09:30:00.000Z');
      const id = await saveTunedConfig(
        server.store.db,
        {
          options: { ease: { lambda: 10 } },
          baseline: metrics(0.1234),
          tuned: metrics(0.1357),
          trials: 7,
          budgetSeconds: 5,
          watermark: { posts: 'complete' },
        },
        createdAt,
      );
      expect((await server.get('/ready')).body.configuration.tuned).toBeNull();
      const second = await server.model.rebuild();
      expect(second.generation).toBe(first.generation + 1);
      const line = `tuned #${id} of ${createdAt.toISOString()} (validation NDCG@20 0.1234 → 0.1357)`;
      expect((await server.get('/ready')).body.configuration).toEqual({
        tuned: { id, created_at: createdAt.toISOString(), baseline_ndcg20: 0.1234, tuned_ndcg20: 0.1357 },
        line,
        since: second.servingSince,
      });
      // One series: the defaults' went with the swap.
      expect(configurationSeries((await server.get('/metrics')).text)).toEqual([
        `model_configuration_info{tuned_id="${id}",serving_since="${second.servingSince}"} 1`,
      ]);
      const after = await server.get('/dashboard', bearer);
      expect(after.text).toContain(`data-tuned="${id}"`);
      expect(after.text).toContain(`${line}, serving since`);
    } finally {
      await server.close();
    }
  });
});
