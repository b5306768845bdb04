// The feed service over real HTTP on a loopback port: GET /feed in the contract's format, bad input, the
// platform data routes, health, metrics and the OpenAPI document; and the shared contract checker.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssues } from '../src/server/errors.js';
import { feedBody, renderPost } from '../src/server/render.js';
import { FeedQuery } from '../src/server/schemas.js';
import { loadAllPosts, loadPostViews, loadUsers } from '../src/store/queries.js';
import {
  interactedPosts,
  leaksInternals,
  FEED_POST_KEYS as POST_KEYS,
  type SyncedDatabase,
  startTestServer,
  syncedDatabase,
  type TestServer,
} from './support/feed-server.js';

let db: SyncedDatabase;
let server: TestServer;
/** A user with interactions, and the posts they interacted with. */
let user: { id: number; seen: Set<number> };

beforeAll(async () => {
  db = await syncedDatabase({ users: 400, posts: 120, interactions: 8000 });
  server = await startTestServer(db.path);
  const { views } = await loadPostViews(server.store, { limit: 1 });
  const id = views[0]!.user_id;
  user = { id, seen: await interactedPosts(server.store, id) };
});

afterAll(async () => {
  await server?.close();
  await db?.cleanup();
});

describe('GET /feed', () => {
  it('answers the contract format: status, page, page_size and full post objects', async () => {
    const res = await server.get(`/feed?user_id=${user.id}&page_size=10`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'success', page: 1, page_size: 10 });
    expect(res.body.post).toHaveLength(10);
    for (const post of res.body.post) {
      expect(Object.keys(post)).toEqual(POST_KEYS);
      expect(Object.keys(post.owner)).toEqual([
        'first_name',
        'last_name',
        'name',
        'username',
        'picture_url',
        'user_type',
        'has_evm_wallet',
        'has_solana_wallet',
      ]);
      expect(post.category).toEqual(
        expect.objectContaining({
          id: expect.any(Number),
          name: expect.any(String),
          count: expect.any(Number),
          description: expect.any(String),
          image_url: expect.any(String),
        }),
      );
      expect(post.baseToken).toEqual(
        expect.objectContaining({ address: '', name: '', symbol: '', image_url: '' }),
      );
      expect(typeof post.created_at).toBe('number');
      expect(Array.isArray(post.tags)).toBe(true);
    }
  });

  it('renders each post from its stored row: owner from the creator fields, category and topic whole', async () => {
    const res = await server.get(`/feed?user_id=${user.id}&page_size=3`);
    const { posts } = await loadAllPosts(server.store, { postId: res.body.post[0].id });
    const stored = posts[0]!;
    const post = res.body.post[0];
    expect(post.owner.username).toBe(stored.username);
    expect(post.owner.name).toBe(`${stored.first_name} ${stored.last_name}`.trim());
    expect(post.category).toEqual(stored.category);
    expect(post.topic).toEqual(stored.topic);
    expect(post.title).toBe(stored.title);
    expect(post.created_at).toBe(stored.created_at);
    expect(post.tags).toEqual(stored.tags);
  });

  it('never shows a post the user interacted with, and page 2 repeats nothing from page 1', async () => {
    const page1 = await server.get(`/feed?user_id=${user.id}&page_size=20`);
    const page2 = await server.get(`/feed?user_id=${user.id}&page_size=20&page=2`);
    const ids1 = page1.body.post.map((p: { id: number }) => p.id);
    const ids2 = page2.body.post.map((p: { id: number }) => p.id);
    expect(ids2.length).toBeGreaterThan(0);
    expect(ids1.filter((id: number) => ids2.includes(id))).toEqual([]);
    for (const id of [...ids1, ...ids2]) expect(user.seen.has(id)).toBe(false);
    expect(new Set(ids1).size).toBe(ids1.length);
  });

  it('filters by category (case-insensitive), with project_code as an alias', async () => {
    const any = await server.get(`/feed?user_id=${user.id}&page_size=5`);
    const name: string = any.body.post[0].category.name;
    const byCategory = await server.get(
      `/feed?user_id=${user.id}&category=${name.toUpperCase()}&page_size=10`,
    );
    expect(byCategory.status).toBe(200);
    expect(byCategory.body.post.length).toBeGreaterThan(0);
    for (const p of byCategory.body.post) expect(p.category.name).toBe(name);
    const alias = await server.get(
      `/feed?user_id=${user.id}&project_code=${encodeURIComponent(name)}&page_size=10`,
    );
    expect(alias.body.post.map((p: { id: number }) => p.id)).toEqual(
      byCategory.body.post.map((p: { id: number }) => p.id),
    );
  });

  it('gives an unknown user id or username a non-empty cold-start feed', async () => {
    const cold = await server.get('/feed?user_id=987654321&page_size=10');
    expect(cold.status).toBe(200);
    expect(cold.body.post.length).toBe(10);
    const byName = await server.get('/feed?username=nobody-by-this-name');
    expect(byName.status).toBe(200);
    expect(byName.body.post.length).toBe(10);
  });

  it('finds a user by username: the same feed as by id', async () => {
    const { users } = await loadUsers(server.store, { userId: user.id });
    const byName = await server.get(`/feed?username=${encodeURIComponent(users[0]!.username!)}&page_size=10`);
    const byId = await server.get(`/feed?user_id=${user.id}&page_size=10`);
    expect(byName.body.post.map((p: { id: number }) => p.id)).toEqual(
      byId.body.post.map((p: { id: number }) => p.id),
    );
  });

  it('answers a page past the end with an empty list', async () => {
    const res = await server.get(`/feed?user_id=${user.id}&page=1000&page_size=100`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'success', page: 1000, page_size: 100, post: [] });
  });

  it('adds score, source and reason to each post with explain=true, and a model can be chosen', async () => {
    const res = await server.get(`/feed?user_id=${user.id}&page_size=5&explain=true&model=itemknn`);
    expect(res.status).toBe(200);
    for (const post of res.body.post) {
      expect(post.score).toEqual(expect.any(Number));
      expect(['itemknn', 'fresh', 'popular']).toContain(post.source);
      expect(post.reason).toEqual(expect.any(String));
    }
    const plain = await server.get(`/feed?user_id=${user.id}&page_size=5`);
    expect(plain.body.post[0]).not.toHaveProperty('score');
  });

  describe('bad input answers 400 {"status": "error", "message"} naming the parameter, never a stack', () => {
    const cases: [string, RegExp][] = [
      ['user_id=abc', /^user_id must be a positive integer, got "abc"$/],
      ['user_id=1.5', /^user_id must be a positive integer, got "1.5"$/],
      ['user_id=-1', /^user_id must be a positive integer/],
      ['user_id=0', /^user_id must be a positive integer/],
      ['user_id=0x10', /^user_id must be a positive integer/],
      ['user_id=99999999999999999999', /^user_id must be a positive integer/],
      ['user_id=1&user_id=2', /^user_id must be a positive integer, got \["1","2"\]$/],
      ['user_id=1&page_size=100000', /^page_size must be an integer 1\.\.100, got "100000"$/],
      ['user_id=1&page_size=0', /^page_size must be an integer 1\.\.100, got "0"$/],
      ['user_id=1&page=0', /^page must be an integer ≥ 1, got "0"$/],
      ['user_id=1&page=abc', /^page must be an integer ≥ 1, got "abc"$/],
      ['', /^user_id or username is required/],
      ['page=2', /^user_id or username is required/],
      ['username=', /^username must be a non-empty username/],
      ['user_id=1&model=magic', /^model must be one of popular, .*hybrid, got "magic"$/],
      ['user_id=1&explain=maybe', /^explain must be true or false, got "maybe"$/],
      ['user_id=1&category=no-such-category', /category 'no-such-category' matches no category/],
      ['user_id=1&category=Food&project_code=Travel', /category and project_code name the same filter/],
      ['user_id=1&page=0&page_size=0', /^page must be .*; page_size must be /],
    ];
    it.each(cases)('GET /feed?%s', async (query, message) => {
      const res = await server.get(`/feed?${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ status: 'error', message: expect.stringMatching(message) });
      expect(leaksInternals(res.text)).toBe(false);
    });
  });
});

describe('errors outside the routes', () => {
  it('answers an unknown route 404 in the same error shape', async () => {
    const res = await server.get('/no/such/route?x=1');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      status: 'error',
      message: 'no route GET /no/such/route; the API is described at /docs',
    });
  });

  it('answers a malformed URL and malformed bodies 4xx without internals', async () => {
    const badUrl = await server.get('/feed%');
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.status).toBe('error');
    const badJson = await server.post('/events', '{not json');
    expect(badJson.status).toBe(400);
    expect(badJson.body.status).toBe('error');
    const badType = await fetch(`${server.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user_id=1',
    });
    expect(badType.status).toBe(415);
    const text = await server.post('/events', 'just text', { 'content-type': 'text/plain' });
    expect(text.status).toBe(400);
    expect(text.body.message).toBe('request body must be a JSON object, got "just text"');
    const huge = await server.post('/events', {
      user_id: 1,
      post_id: 1,
      type: 'view',
      pad: 'x'.repeat(100_000),
    });
    expect(huge.status).toBe(413);
    for (const body of [badUrl.text, badJson.text, await badType.text(), huge.text]) {
      expect(leaksInternals(body)).toBe(false);
    }
  });
});

describe('the platform data routes', () => {
  it('serve users, posts and the four interaction kinds in the upstream shapes and paging', async () => {
    const users = await server.get('/users/get_all?page=2&page_size=3');
    expect(users.status).toBe(200);
    const expected = await loadUsers(server.store, { limit: 3, offset: 3 });
    expect(users.body).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(users.body.users[0]).toHaveProperty('instagram-url');

    const posts = await server.get('/posts/summary/get?page=1&page_size=2');
    expect(posts.body.posts).toHaveLength(2);
    expect(posts.body.posts[0]).toHaveProperty('post_summary');

    for (const [path, time] of [
      ['/posts/view', 'viewed_at'],
      ['/posts/like', 'liked_at'],
      ['/posts/inspire', 'inspired_at'],
      ['/posts/rating', 'rated_at'],
    ] as const) {
      const res = await server.get(`${path}?page=1&page_size=4&resonance_algorithm=anything`);
      expect(res.status).toBe(200);
      expect(res.body.posts).toHaveLength(4);
      expect(Object.keys(res.body.posts[0])).toEqual(
        expect.arrayContaining(['id', 'post_id', 'user_id', time]),
      );
    }
    const past = await server.get('/posts/view?page=100000&page_size=1000');
    expect(past.body).toEqual({ posts: [] });
    const beyond = await server.get('/posts/view?page=9007199254740991&page_size=1000');
    expect(beyond.body).toEqual({ posts: [] });
  });

  it('refuse a page_size above 1000 with the error body', async () => {
    const res = await server.get('/posts/view?page=1&page_size=1001');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('page_size must be an integer 1..1000, got "1001"');
  });
});

describe('operations endpoints', () => {
  it('GET /health answers 200 at once', async () => {
    const res = await server.get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', uptime_seconds: expect.any(Number) });
  });

  it('GET /ready reports the store, the model and the last sync time', async () => {
    const res = await server.get('/ready');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks.store.ok).toBe(true);
    expect(res.body.model).toMatchObject({ generation: 1, users: 400, posts: 120 });
    expect(Date.parse(res.body.last_sync_at)).toBeGreaterThan(Date.now() - 600_000);
  });

  it('GET /metrics exposes request counters, latency, model and snapshot gauges', async () => {
    await server.get(`/feed?user_id=${user.id}`);
    const res = await fetch(`${server.url}/metrics`);
    const text = await res.text();
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(text).toMatch(/http_requests_total\{route="\/feed",method="GET",status="200"\} \d+/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.01",route="\/feed"/);
    expect(text).toMatch(/http_requests_total\{route="unmatched",method="GET",status="404"\} \d+/);
    expect(text).toMatch(/model_build_seconds \d/);
    expect(text).toMatch(/model_age_seconds \d/);
    expect(text).toMatch(/model_snapshot_size\{part="posts"\} 120/);
    expect(text).toMatch(/model_builds_total\{result="success"\} 1/);
  });

  it('GET /openapi.json documents every route with its parameters', async () => {
    const res = await server.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.0.3');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/feed',
        '/events',
        '/users/get_all',
        '/posts/view',
        '/health',
        '/ready',
        '/metrics',
      ]),
    );
    const names = res.body.paths['/feed'].get.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'user_id',
        'username',
        'category',
        'project_code',
        'page',
        'page_size',
        'explain',
      ]),
    );
    const pageSize = res.body.paths['/feed'].get.parameters.find(
      (p: { name: string }) => p.name === 'page_size',
    );
    expect(pageSize.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
  });
});

describe('the shared contract checker', () => {
  it('passes every check against this server', async () => {
    const checker = new URL('../../shared/tools/contract-check.mjs', import.meta.url);
    const { stdout } = await promisify(execFile)(process.execPath, [checker.pathname, server.url], {
      timeout: 60_000,
    });
    const last = stdout.trim().split('\n').at(-1);
    expect(last).toMatch(/^\d+ passed, 0 failed$/);
  });
});

describe('helpers', () => {
  it('renders a post with missing fields as the contract types (strings "", counts 0, flags false)', () => {
    const post = renderPost({
      id: 5,
      category: null,
      baseToken: null,
      tags: null,
      chain_id: 137,
      created_at: null,
    });
    expect(post).toMatchObject({
      id: 5,
      owner: { first_name: '', name: '', user_type: null, has_evm_wallet: false },
      category: { id: null, name: '', count: 0, description: '', image_url: '' },
      topic: null,
      title: '',
      chain_id: '137',
      comment_count: 0,
      is_available_in_public_feed: true,
      baseToken: { address: '', name: '', symbol: '', image_url: '' },
      created_at: 0,
      tags: [],
    });
  });

  it('assembles the feed body from cached post bytes', () => {
    const body = feedBody(2, 5, [Buffer.from('{"id":1}'), Buffer.from('{"id":2}')]);
    expect(JSON.parse(body.toString())).toEqual({
      status: 'success',
      page: 2,
      page_size: 5,
      post: [{ id: 1 }, { id: 2 }],
    });
  });

  it('formats each bad field with what it accepts and the value received', () => {
    const query = { page_size: '500', user_id: 'x' };
    const result = FeedQuery.safeParse(query);
    expect(result.success).toBe(false);
    expect(formatIssues(result.error!.issues, query, FeedQuery)).toBe(
      'user_id must be a positive integer, got "x"; page_size must be an integer 1..100, got "500"',
    );
  });
});
