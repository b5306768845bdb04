// A/B experiments over real HTTP on a real SQLite file: each user's /feed is ranked by the arm the hash
// assigns them (the impression says `experiment:arm`), GET /admin/experiments answers each arm's figures
// with intervals and the test against the control, /metrics counts per arm, and a server whose arms name a
// model its snapshots do not build refuses to start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.js';
import { Experiments, validateExperiments } from '../src/server/experiments.js';
import { ModelHolder } from '../src/server/model-holder.js';
import { twoProportionZTest, wilsonInterval } from '../src/shared/proportions.js';
import { findImpression } from '../src/store/impressions.js';
import { openStore } from '../src/store/open.js';
import {
  type Body,
  eventually,
  type SyncedDatabase,
  startTestServer,
  syncedDatabase,
  type TestServer,
} from './support/feed-server.js';

const ADMIN = 'admin-token-123';
const auth = { authorization: `Bearer ${ADMIN}` };
const experiments = validateExperiments({
  name: 'ranker',
  arms: [
    { name: 'control', model: 'hybrid', share: 0.5 },
    { name: 'pop', model: 'popular', share: 0.5 },
  ],
});
const assign = new Experiments(experiments);

let db: SyncedDatabase;
let server: TestServer;

const ids = (body: Body): number[] => body.post.map((p: { id: number }) => p.id);

beforeAll(async () => {
  db = await syncedDatabase({ users: 200, posts: 80, interactions: 3000 });
  server = await startTestServer(db.path, {
    app: { adminToken: ADMIN, experiments, impressions: { flushMs: 50 } },
  });
});

afterAll(async () => {
  await server?.close();
  await db?.cleanup();
});

describe('an experiment hybrid vs popular', () => {
  const users = Array.from({ length: 60 }, (_, i) => i + 1);
  const byArm = { control: [] as number[], pop: [] as number[] };
  const pages = new Map<number, Body>();

  it('ranks each user’s feed with their arm’s model and logs the arm as experiment:arm', async () => {
    for (const user of users) {
      const arm = assign.assign(user)!.arm.name as 'control' | 'pop';
      byArm[arm].push(user);
      const res = await server.get(`/feed?user_id=${user}&page_size=5`);
      expect(res.status).toBe(200);
      pages.set(user, res.body);
    }
    expect(byArm.control.length).toBeGreaterThan(10);
    expect(byArm.pop.length).toBeGreaterThan(10);
    for (const [arm, model] of [
      ['control', 'hybrid'],
      ['pop', 'popular'],
    ] as const) {
      const user = byArm[arm][0]!;
      const page = pages.get(user)!;
      const named = await server.get(`/feed?user_id=${user}&page_size=5&model=${model}`);
      expect(ids(page)).toEqual(ids(named.body));
      const impression = await eventually(
        async () => (await findImpression(server.store.db, page.recomm_id)) ?? undefined,
      );
      expect(impression.arm).toBe(`ranker:${arm}`);
      // A request naming its model is outside the experiment.
      const outside = await eventually(
        async () => (await findImpression(server.store.db, named.body.recomm_id)) ?? undefined,
      );
      expect(outside.arm).toBe(model);
    }
    // The two arms really rank differently: some control user's page is not the popular one.
    let differs = 0;
    for (const user of byArm.control) {
      const popular = await server.get(`/feed?user_id=${user}&page_size=5&model=popular`);
      if (JSON.stringify(ids(popular.body)) !== JSON.stringify(ids(pages.get(user)!))) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });

  it('answers each arm’s figures with 95% intervals and the test against the control', async () => {
    // Every control user likes their first post; two popular-arm users do.
    const likers = [...byArm.control, ...byArm.pop.slice(0, 2)];
    for (const user of likers) {
      const page = pages.get(user)!;
      const res = await server.post('/events', {
        user_id: user,
        post_id: ids(page)[0],
        type: 'like',
        recomm_id: page.recomm_id,
      });
      expect(res.body.attribution).toMatchObject({ recomm_id: page.recomm_id, position: 1 });
    }
    const nC = byArm.control.length;
    const nP = byArm.pop.length;
    const report = await eventually(async () => {
      const res = await server.get('/admin/experiments', auth);
      expect(res.status).toBe(200);
      const arms = res.body.experiments[0].arms;
      return arms[0].impressions === nC && arms[1].impressions === nP ? res.body : undefined;
    });
    expect(report.since).toBeNull();
    const [control, pop] = report.experiments[0].arms;
    expect(report.experiments[0]).toMatchObject({ name: 'ranker', traffic: 1, control: 'control' });
    const ciC = wilsonInterval(nC, nC);
    expect(control).toMatchObject({
      name: 'control',
      model: 'hybrid',
      share: 0.5,
      label: 'ranker:control',
      impressions: nC,
      like_rate: { count: nC, rate: 1, ci_low: ciC.low, ci_high: ciC.high },
      view_rate: { count: 0, rate: 0 },
      engaged_posts: nC,
      mean_reciprocal_rank: 1,
      vs_control: null,
    });
    const ciP = wilsonInterval(2, nP);
    const test = twoProportionZTest(nC, nC, 2, nP);
    expect(pop).toMatchObject({
      name: 'pop',
      model: 'popular',
      impressions: nP,
      like_rate: { count: 2, rate: 2 / nP, ci_low: ciP.low, ci_high: ciP.high },
      engaged_posts: 2,
      mean_reciprocal_rank: 1,
    });
    expect(pop.vs_control.like_rate).toEqual({
      difference: 2 / nP - 1,
      z: test.z,
      p_value: test.pValue,
      significant: true,
    });
    expect(pop.vs_control.view_rate).toEqual({ difference: 0, z: 0, p_value: 1, significant: false });
  });

  it('counts per arm in /metrics, needs the admin token, checks days, and is in the OpenAPI document', async () => {
    const metrics = (await server.get('/metrics')).text;
    expect(metrics).toContain(
      `experiment_feeds_total{experiment="ranker",arm="control"} ${byArm.control.length}`,
    );
    expect(metrics).toMatch(/feed_impressions_total\{arm="ranker:pop",route="feed"\} [1-9]/);
    expect(metrics).toMatch(/feed_attributed_events_total\{arm="ranker:control",type="like"\} [1-9]/);
    expect((await server.get('/admin/experiments')).status).toBe(401);
    const bad = await server.get('/admin/experiments?days=0', auth);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/days must be an integer 1\.\.3650/);
    const recent = await server.get('/admin/experiments?days=1', auth);
    expect(recent.body.since).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(recent.body.experiments[0].arms[0].impressions).toBe(byArm.control.length);
    const doc = (await server.get('/openapi.json')).body;
    expect(doc.paths['/admin/experiments'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'days',
    ]);
  });
});

describe('start-up', () => {
  it('refuses arms naming a model the snapshots do not build', async () => {
    const store = await openStore(db.path);
    const model = new ModelHolder({
      source: { kind: 'database', url: db.path },
      build: { models: ['popular', 'ease'] },
    });
    try {
      await expect(
        buildApp({ store, model, processMetrics: false, experiments, defaultModel: 'ease' }),
      ).rejects.toThrow(
        /EXPERIMENTS name models the snapshots this server builds does not hold: experiment "ranker" arm "control" ranks with "hybrid"\. It holds popular, ease/,
      );
    } finally {
      await model.close();
      await store.close();
    }
  });
});

describe('an arm with its own composition rules', () => {
  const composing = validateExperiments({
    name: 'variety',
    arms: [
      { name: 'control', model: 'hybrid', share: 0.5 },
      { name: 'varied', model: 'hybrid', share: 0.5, params: { composition: { maxCategoryRun: 1 } } },
    ],
  });
  const arms = new Experiments(composing);
  let own: TestServer;

  beforeAll(async () => {
    own = await startTestServer(db.path, { app: { experiments: composing } });
  });
  afterAll(async () => {
    await own?.close();
  });

  /** Pairs of neighbours of one category on a page. */
  const repeats = (body: Body) =>
    body.post.filter(
      (p: { category: { id: number } }, i: number) => i > 0 && p.category.id === body.post[i - 1].category.id,
    ).length;

  it("serves that arm's users with its rules and the control's with the snapshot's, listed or scored", async () => {
    const pairs = { control: 0, varied: 0 };
    const users = { control: 0, varied: 0 };
    for (let user = 1; user <= 80; user++) {
      const arm = arms.assign(user)!.arm.name as 'control' | 'varied';
      // Without explain a listed user's page comes from the precomputed list; with it, from scoring.
      const plain = await own.get(`/feed?user_id=${user}&page_size=20`);
      const explained = await own.get(`/feed?user_id=${user}&page_size=20&explain=true`);
      expect(plain.status).toBe(200);
      expect(ids(plain.body)).toEqual(ids(explained.body));
      users[arm]++;
      pairs[arm] += repeats(plain.body);
    }
    expect(users.control).toBeGreaterThan(10);
    expect(users.varied).toBeGreaterThan(10);
    // The snapshot allows runs of 3 of a category, and the control's pages have some; the arm allows none.
    expect(pairs.control).toBeGreaterThan(0);
    expect(pairs.varied).toBe(0);
  });
});
