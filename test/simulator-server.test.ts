import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDatasetFromFolder, writeDatasetToFolder } from '../src/simulator/file-source.js';
import { generateDataset } from '../src/simulator/generate.js';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../src/simulator/server.js';
import { INTERACTION_SOURCES, SOURCE_NAMES, SOURCES, type SourceName } from '../src/upstream/sources.js';

const TOKEN = 'sim-secret-token-4711';
const GENERATE = { seed: 3, users: 120, posts: 40, interactions: 3000 };
const dataset = generateDataset(GENERATE);

type Json = Record<string, unknown>;

/** Everything started in a test is closed after it. */
const started: RunningSimulator[] = [];
async function simulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({ data: dataset, token: TOKEN, ...options });
  started.push(sim);
  return sim;
}
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

function pageUrl(sim: RunningSimulator, source: SourceName, page: number, pageSize: number): string {
  const extra = SOURCES[source].takesResonanceAlgorithm ? '&resonance_algorithm=test-algo' : '';
  return `${sim.url}${SOURCES[source].path}?page=${page}&page_size=${pageSize}${extra}`;
}

async function getPage(
  sim: RunningSimulator,
  source: SourceName,
  page: number,
  pageSize = 100,
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(pageUrl(sim, source, page, pageSize), { headers: { 'Flic-Token': TOKEN } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Pages through a source until an empty page, retrying each failed request up to `retries` times. */
async function fetchAll(
  sim: RunningSimulator,
  source: SourceName,
  pageSize = 100,
  retries = 0,
): Promise<Json[]> {
  const all: Json[] = [];
  for (let page = 1; ; page++) {
    let records: Json[] | undefined;
    for (let attempt = 0; attempt <= retries && !records; attempt++) {
      const res = await getPage(sim, source, page, pageSize).catch(() => null);
      if (res?.status !== 200) continue;
      try {
        const body = JSON.parse(res.text) as Json;
        const list = body[SOURCES[source].bodyKey];
        if (Array.isArray(list)) records = list as Json[];
      } catch {
        // malformed: retry
      }
    }
    if (!records) throw new Error(`${source} page ${page} failed after ${retries + 1} attempts`);
    if (records.length === 0) return all;
    all.push(...records);
  }
}

describe('simulated API: endpoints, token and paging', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await simulator();
  });

  it('listens on 127.0.0.1 on an ephemeral port', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.port).toBeGreaterThan(0);
  });

  it('answers 401 on users and posts without the Flic-Token or with a wrong one, never echoing it', async () => {
    for (const source of ['users', 'posts'] as const) {
      const url = pageUrl(sim, source, 1, 10);
      const missing = await fetch(url);
      expect(missing.status).toBe(401);
      expect(((await missing.json()) as Json).status).toBe('error');
      const wrong = await fetch(url, { headers: { 'Flic-Token': 'wrong-token-abc' } });
      expect(wrong.status).toBe(401);
      const text = await wrong.text();
      expect(text).not.toContain('wrong-token-abc');
      expect(text).not.toContain(TOKEN);
      const ok = await fetch(url, { headers: { 'Flic-Token': TOKEN } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as Json)[SOURCES[source].bodyKey]).toHaveLength(10);
    }
  });

  it('serves the interaction endpoints without a token and counts resonance_algorithm values', async () => {
    sim.resetStats();
    for (const source of INTERACTION_SOURCES) {
      const res = await fetch(pageUrl(sim, source, 1, 5));
      expect(res.status).toBe(200);
      expect((await res.json()) as Json).toEqual({ posts: expect.any(Array) });
    }
    expect(sim.stats().resonanceAlgorithms).toEqual({ 'test-algo': 4 });
  });

  it('pages through every source in order, with exactly the dataset records, then an empty page', async () => {
    for (const source of SOURCE_NAMES) {
      const records = await fetchAll(sim, source, 7);
      expect(records).toHaveLength(dataset.count(source));
      expect(records.map((r) => JSON.stringify(r))).toEqual(
        Array.from({ length: dataset.count(source) }, (_, i) => dataset.recordJson(source, i)),
      );
      const past = await getPage(sim, source, 9999, 7);
      expect(past.status).toBe(200);
      expect(JSON.parse(past.text)).toEqual({ [SOURCES[source].bodyKey]: [] });
    }
  });

  it('serves records that all pass the upstream schemas', async () => {
    for (const source of SOURCE_NAMES) {
      for (const record of await fetchAll(sim, source, 1000)) {
        expect(SOURCES[source].schema.safeParse(record).success).toBe(true);
      }
    }
  });

  it('defaults to page 1 and 10 records per page', async () => {
    const res = await fetch(`${sim.url}/posts/view`);
    const body = (await res.json()) as { posts: Json[] };
    expect(body.posts.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const trailing = await fetch(`${sim.url}/posts/like/?page=2&page_size=3`);
    expect(((await trailing.json()) as { posts: Json[] }).posts.map((r) => r.id)).toEqual([4, 5, 6]);
  });

  it('answers 400 naming the parameter for a bad page or page_size (at most 1000)', async () => {
    for (const [query, name] of [
      ['page=0', 'page'],
      ['page=abc', 'page'],
      ['page=-1', 'page'],
      ['page=', 'page'],
      ['page_size=0', 'page_size'],
      ['page_size=1001', 'page_size'],
      ['page_size=2.5', 'page_size'],
    ] as const) {
      const res = await fetch(`${sim.url}/posts/view?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as Json;
      expect(body.status).toBe('error');
      expect(body.message).toMatch(new RegExp(`^${name} must be an integer 1\\.\\.`));
    }
    expect((await fetch(`${sim.url}/posts/view?page_size=1000`)).status).toBe(200);
  });

  it('answers 404 for an unknown path and 405 for a method other than GET', async () => {
    const unknown = await fetch(`${sim.url}/posts/nope`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Json).message).toMatch(/no endpoint \/posts\/nope/);
    const post = await fetch(`${sim.url}/posts/view`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('counts requests by status and source', async () => {
    sim.resetStats();
    await fetch(`${sim.url}/posts/rating?page=1&page_size=3`);
    await fetch(`${sim.url}/users/get_all`);
    const stats = sim.stats();
    expect(stats.requests).toBe(2);
    expect(stats.byStatus).toEqual({ '200': 1, '401': 1 });
    expect(stats.bySource.ratings).toBe(1);
    expect(stats.recordsServed.ratings).toBe(3);
  });
});

describe('simulated API: faults', () => {
  it('keeps a page broken with errorRate 1 (every attempt is a 500)', async () => {
    const sim = await simulator({ faults: { errorRate: 1 } });
    for (let attempt = 0; attempt < 5; attempt++) expect((await getPage(sim, 'views', 1)).status).toBe(500);
    expect(sim.stats().faults.error).toBe(5);
  });

  it('lets a scripted failing page succeed once its failing attempts are used up', async () => {
    const sim = await simulator({ faults: { failPages: [{ source: 'views', page: 2, times: 2 }] } });
    expect((await getPage(sim, 'views', 1)).status).toBe(200);
    expect((await getPage(sim, 'views', 2)).status).toBe(500);
    expect((await getPage(sim, 'views', 2)).status).toBe(500);
    expect((await getPage(sim, 'views', 2)).status).toBe(200);
    expect((await getPage(sim, 'likes', 2)).status).toBe(200);
  });

  it('fails a share of requests at random, deterministically per seed, and retries get through', async () => {
    const a = await simulator({ faults: { errorRate: 0.4 }, faultSeed: 9 });
    const b = await simulator({ faults: { errorRate: 0.4 }, faultSeed: 9 });
    const statuses = async (sim: RunningSimulator) => {
      const out: number[] = [];
      for (let page = 1; page <= 10; page++)
        for (let i = 0; i < 3; i++) out.push((await getPage(sim, 'views', page)).status);
      return out;
    };
    const first = await statuses(a);
    expect(await statuses(b)).toEqual(first);
    expect(first.filter((s) => s === 500).length).toBeGreaterThan(3);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(3);
    a.resetAttempts();
    expect(await fetchAll(a, 'views', 100, 20)).toHaveLength(dataset.counts.views);
  });

  it('answers 429 with the configured Retry-After', async () => {
    const sim = await simulator({ faults: { rateLimitRate: 1, retryAfterSeconds: 3 } });
    const res = await getPage(sim, 'users', 1);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(sim.stats().faults.rateLimit).toBe(1);
  });

  it('drops the connection for a reset fault, and the retry succeeds', async () => {
    const sim = await simulator({ faults: { failPages: [{ source: 'ratings', page: 1, fault: 'reset' }] } });
    await expect(getPage(sim, 'ratings', 1)).rejects.toThrow();
    expect((await getPage(sim, 'ratings', 1)).status).toBe(200);
    expect(sim.stats().faults.reset).toBe(1);
  });

  it('serves a truncated page on the first attempt only, or always when told so', async () => {
    const sim = await simulator({
      faults: {
        malformedPages: [
          { source: 'views', page: 3 },
          { source: 'posts', page: 1, times: 'always' },
        ],
      },
    });
    const first = await getPage(sim, 'views', 3);
    expect(first.status).toBe(200);
    expect(() => JSON.parse(first.text)).toThrow();
    expect(JSON.parse((await getPage(sim, 'views', 3)).text).posts).toHaveLength(100);
    for (let i = 0; i < 4; i++) {
      const res = await getPage(sim, 'posts', 1);
      expect(() => JSON.parse(res.text)).toThrow();
    }
  });

  it('serves wrong-shape and wrong-key bodies', async () => {
    const sim = await simulator({
      faults: {
        malformedPages: [
          { source: 'likes', page: 1, kind: 'wrong-shape' },
          { source: 'inspires', page: 1, kind: 'wrong-key' },
        ],
      },
    });
    const shape = JSON.parse((await getPage(sim, 'likes', 1)).text) as Json;
    expect(Array.isArray(shape.posts)).toBe(false);
    const key = JSON.parse((await getPage(sim, 'inspires', 1)).text) as Json;
    expect(key.posts).toBeUndefined();
    expect(Array.isArray(key.data)).toBe(true);
    expect(sim.stats().faults.malformed).toBe(2);
  });

  it('delays slow responses and still serves them', async () => {
    const sim = await simulator({ faults: { slowRate: 1, slowMs: 50 } });
    const res = await getPage(sim, 'views', 1, 5);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).posts).toHaveLength(5);
    expect(sim.stats().faults.slow).toBe(1);
  });

  it('ends in-flight slow responses promptly on close', async () => {
    const sim = await startSimulator({
      data: dataset,
      token: TOKEN,
      faults: { slowRate: 1, slowMs: 600_000 },
    });
    const pending = getPage(sim, 'views', 1);
    while (sim.stats().faults.slow === 0) await new Promise((r) => setTimeout(r, 5));
    await sim.close();
    await expect(pending).rejects.toThrow();
    await sim.close(); // idempotent
  });

  it('mixes schema-failing records into pages, the same ones on every pass, and says which', async () => {
    const sim = await simulator({ faults: { invalidRecordRate: 0.05 } });
    for (const source of SOURCE_NAMES) {
      const records = await fetchAll(sim, source, 50);
      expect(records).toHaveLength(dataset.count(source));
      const failing = records.flatMap((r, i) => (SOURCES[source].schema.safeParse(r).success ? [] : [i]));
      expect(failing).toEqual(sim.invalidRecordPositions(source));
      expect(sim.expectedValidCounts()[source]).toBe(dataset.count(source) - failing.length);
      expect(await fetchAll(sim, source, 50)).toEqual(records);
    }
    expect(sim.invalidRecordPositions('views').length).toBeGreaterThan(20);
  });

  it('serves explicitly listed records invalid', async () => {
    const sim = await simulator({
      faults: {
        invalidRecords: [
          { source: 'ratings', index: 0 },
          { source: 'ratings', index: 5 },
          { source: 'users', index: 2 },
        ],
      },
    });
    const ratings = await fetchAll(sim, 'ratings');
    expect(ratings.flatMap((r, i) => (SOURCES.ratings.schema.safeParse(r).success ? [] : [i]))).toEqual([
      0, 5,
    ]);
    const users = await fetchAll(sim, 'users');
    expect(users.flatMap((r, i) => (SOURCES.users.schema.safeParse(r).success ? [] : [i]))).toEqual([2]);
    expect(sim.expectedValidCounts()).toMatchObject({
      ratings: dataset.counts.ratings - 2,
      users: dataset.counts.users - 1,
    });
  });

  it('repeats the last records of a page at the start of the next one with duplicateRate', async () => {
    const sim = await simulator({ faults: { duplicateRate: 1 } });
    const records = await fetchAll(sim, 'views', 100);
    const ids = records.map((r) => r.id as number);
    expect(new Set(ids).size).toBe(dataset.counts.views);
    expect(ids.length).toBeGreaterThan(dataset.counts.views);
    const page2 = JSON.parse((await getPage(sim, 'views', 2)).text).posts as Json[];
    expect(page2[0]?.id).toBeLessThanOrEqual(100);
    expect(page2.at(-1)?.id).toBe(200);
    expect(sim.stats().faults.duplicateRecords).toBe(
      ids.length - dataset.counts.views + (page2.length - 100),
    );
  });

  it('switches faults on and off at runtime, restarting attempt counts', async () => {
    const sim = await simulator();
    expect((await getPage(sim, 'posts', 1)).status).toBe(200);
    sim.setFaults({ failPages: [{ source: 'posts', page: 1, times: 1, fault: 'rate-limit' }] });
    expect((await getPage(sim, 'posts', 1)).status).toBe(429);
    expect((await getPage(sim, 'posts', 1)).status).toBe(200);
    sim.setFaults({ failPages: [{ source: 'posts', page: 1, times: 1, fault: 'rate-limit' }] });
    expect((await getPage(sim, 'posts', 1)).status).toBe(429);
    sim.setFaults({});
    expect((await getPage(sim, 'posts', 1)).status).toBe(200);
    expect(() => sim.setFaults({ errorRate: 2 })).toThrow(/errorRate must be a share 0\.\.1, got 2/);
  });

  it('applies random faults only to the chosen sources', async () => {
    const sim = await simulator({ faults: { errorRate: 1, sources: ['views'] } });
    expect((await getPage(sim, 'views', 1)).status).toBe(500);
    expect((await getPage(sim, 'likes', 1)).status).toBe(200);
  });
});

describe('simulated API: data changes and other data sources', () => {
  it('serves updated and added records after updateRecords', async () => {
    const sim = await simulator();
    const post = dataset.postRecord(5);
    const result = sim.updateRecords('posts', [
      { ...post, title: 'A brand new title' },
      { ...dataset.postRecord(6), id: 1000, title: 'A new post' },
    ]);
    expect(result).toEqual({ updated: 1, added: 1 });
    const posts = await fetchAll(sim, 'posts');
    expect(posts).toHaveLength(dataset.counts.posts + 1);
    expect(posts[4]?.title).toBe('A brand new title');
    expect(posts.at(-1)).toMatchObject({ id: 1000, title: 'A new post' });
    expect(sim.counts().posts).toBe(dataset.counts.posts + 1);
    expect(() => sim.updateRecords('views', [{ post_id: 1 }])).toThrow(/integer id/);
  });

  it('round-trips a generated dataset through a folder of JSON files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-files-'));
    try {
      const written = await writeDatasetToFolder(dataset, dir);
      expect(written).toEqual(dataset.counts);
      const files = await loadDatasetFromFolder(dir);
      const sim = await simulator({ data: files });
      for (const source of SOURCE_NAMES) {
        const records = await fetchAll(sim, source, 250);
        expect(records.map((r) => JSON.stringify(r))).toEqual(
          Array.from({ length: dataset.count(source) }, (_, i) => dataset.recordJson(source, i)),
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves a folder with missing files as empty sources and rejects a file that is not an array', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-files-'));
    try {
      await writeFile(
        join(dir, 'views.json'),
        JSON.stringify([{ id: 1, post_id: 2, user_id: 3, viewed_at: '2024-01-01 00:00:00' }]),
      );
      const sim = await simulator({ data: await loadDatasetFromFolder(dir) });
      expect(await fetchAll(sim, 'views')).toHaveLength(1);
      expect(await fetchAll(sim, 'users')).toEqual([]);
      await writeFile(join(dir, 'posts.json'), '{"posts": []}');
      await expect(loadDatasetFromFolder(dir)).rejects.toThrow(/posts\.json must hold a JSON array/);
      await writeFile(join(dir, 'posts.json'), '[{"id": 1,');
      await expect(loadDatasetFromFolder(dir)).rejects.toThrow(/posts\.json is not valid JSON/);
      await expect(loadDatasetFromFolder(join(dir, 'nowhere'))).rejects.toThrow(/holds none of users\.json/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a port that is taken with a message naming it', async () => {
    const sim = await simulator();
    await expect(startSimulator({ data: dataset, port: sim.port })).rejects.toThrow(
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${sim.port}: EADDRINUSE`),
    );
  });

  it('serves 200,000 interaction records in pages of 1000 (throughput sanity)', async () => {
    const sim = await simulator({
      data: generateDataset({ seed: 1, users: 5000, posts: 1000, interactions: 364_000 }),
    });
    const views = sim.count('views');
    expect(views).toBeGreaterThanOrEqual(200_000);
    let served = 0;
    let lastId = 0;
    for (let page = 1; ; page++) {
      const body = (await (await fetch(pageUrl(sim, 'views', page, 1000))).json()) as { posts: Json[] };
      if (body.posts.length === 0) break;
      served += body.posts.length;
      lastId = body.posts.at(-1)?.id as number;
    }
    expect(served).toBe(views);
    expect(lastId).toBe(views);
  });
});
