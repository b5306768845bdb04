// The discovery routes over real HTTP on a loopback port, over a real synced SQLite file: GET
// /posts/{id}/similar, /feed/trending and /feed/latest in the feed's post format, exactly the lists the
// snapshot in force gives, with user exclusions, the category filter, paging, 404 and 400s, and their
// OpenAPI documentation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Discovery,
  type DiscoveryRequest,
  decodeSnapshot,
  type LiveEvent,
  openSnapshot,
} from '../src/recommend/index.js';
import { renderPost } from '../src/server/render.js';
import { loadAllPosts } from '../src/store/queries.js';
import { readSnapshotArtifact } from '../src/store/snapshots.js';
import { upstreamTimeToSeconds } from '../src/store/training-data.js';
import type { SourceRecords } from '../src/upstream/sources.js';
import {
  type Body,
  FEED_POST_KEYS,
  interactedPosts,
  leaksInternals,
  type SyncedDatabase,
  startTestServer,
  syncedDatabase,
  type TestServer,
} from './support/feed-server.js';

let db: SyncedDatabase;
let server: TestServer;
/** The lists of the snapshot the server serves, opened here from the stored artifact. */
let lists: Discovery;
/** A user with a long history, and a post they interacted with. */
let user: { id: number; seen: Set<number> };
let postId: number;

const ids = (body: Body): number[] => body.post.map((p: { id: number }) => p.id);
const ROUTES = ['/feed/trending', '/feed/latest'] as const;

/** Every page of `path` (query `query`) at `pageSize`, concatenated up to the first empty page. */
async function allPages(path: string, query: string, pageSize: number): Promise<number[]> {
  const out: number[] = [];
  for (let page = 1; ; page++) {
    const res = await server.get(`${path}?${query}&page=${page}&page_size=${pageSize}`);
    expect(res.status).toBe(200);
    if (res.body.post.length === 0) return out;
    out.push(...ids(res.body));
  }
}

/** The same list computed in this process from the served snapshot. */
const expected = (request: DiscoveryRequest) => lists.list(request).items.map((i) => i.postId);

beforeAll(async () => {
  db = await syncedDatabase({ users: 400, posts: 120, interactions: 8000 });
  server = await startTestServer(db.path);
  const bytes = await readSnapshotArtifact(server.store, server.model.info!.snapshotId!);
  lists = new Discovery(openSnapshot(decodeSnapshot(bytes).data));
  // The most active viewer: a history long enough to show up on every list's first page.
  const active = await server.store.db
    .selectFrom('PostView')
    .select(['user_id', (eb) => eb.fn.countAll().as('n')])
    .groupBy('user_id')
    .orderBy('n', 'desc')
    .orderBy('user_id')
    .limit(1)
    .executeTakeFirstOrThrow();
  const id = Number(active.user_id);
  user = { id, seen: await interactedPosts(server.store, id) };
  postId = [...user.seen][0]!;
});

afterAll(async () => {
  await server?.close();
  await db?.cleanup();
});

describe('the post format', () => {
  it.each([`/posts/{post}/similar`, ...ROUTES])(
    '%s answers the /feed body with full post objects',
    async (route) => {
      const res = await server.get(`${route.replace('{post}', String(postId))}?page_size=7`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'success', page: 1, page_size: 7 });
      expect(res.body.post).toHaveLength(7);
      for (const post of res.body.post) expect(Object.keys(post)).toEqual(FEED_POST_KEYS);
      const first = res.body.post[0];
      const { posts } = await loadAllPosts(server.store, { postId: first.id });
      expect(first).toEqual(JSON.parse(JSON.stringify(renderPost(posts[0]!))));
    },
  );

  it('adds score, source (the list) and reason with explain=true', async () => {
    const similar = await server.get(`/posts/${postId}/similar?page_size=3&explain=true`);
    for (const post of similar.body.post) {
      expect(post).toMatchObject({ score: expect.any(Number), source: 'similar' });
      expect(post.reason).toMatch(/^similar: item-kNN cosine \d\.\d{3}, content cosine \d\.\d{3}$/);
    }
    const trending = await server.get('/feed/trending?page_size=3&explain=true');
    expect(trending.body.post[0]).toMatchObject({
      source: 'trending',
      reason: expect.stringMatching(/^trending: momentum/),
    });
    const latest = await server.get('/feed/latest?page_size=3&explain=1');
    expect(latest.body.post[0]).toMatchObject({
      source: 'latest',
      score: latest.body.post[0].created_at,
      reason: expect.stringMatching(/^latest: created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/),
    });
    expect((await server.get('/feed/latest?page_size=3')).body.post[0]).not.toHaveProperty('score');
  });
});

describe('GET /posts/{id}/similar', () => {
  it("serves the snapshot's similar list, never the post itself on any page", async () => {
    const all = await allPages(`/posts/${postId}/similar`, '', 100);
    expect(all.length).toBeGreaterThan(10);
    expect(all).not.toContain(postId);
    expect(all).toEqual(
      expected({ list: 'similar', postId, pageSize: 100 }).concat(
        expected({ list: 'similar', postId, page: 2, pageSize: 100 }),
      ),
    );
  });

  it('answers 404 in the error shape for an id that is no stored post', async () => {
    const res = await server.get('/posts/987654321/similar');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ status: 'error', message: 'no post 987654321: the id is not a stored post' });
  });
});

describe('GET /feed/trending and /feed/latest', () => {
  it('serve the snapshot orderings: latest is newest first', async () => {
    const trending = await server.get('/feed/trending?page_size=50');
    expect(ids(trending.body)).toEqual(expected({ list: 'trending', pageSize: 50 }));
    const latest = (await server.get('/feed/latest?page_size=100')).body.post;
    expect(latest.length).toBe(100);
    const created = latest.map((p: { created_at: number }) => p.created_at);
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });
});

describe('every discovery route', () => {
  const paths = () => [`/posts/${postId}/similar`, ...ROUTES];

  it('with user_id, leaves out every post the user interacted with, events posted since included', async () => {
    for (const path of paths()) {
      const without = ids((await server.get(`${path}?page_size=100`)).body);
      const seenInList = without.filter((id) => user.seen.has(id));
      expect(seenInList.length, `${path}: seen ${[...user.seen]}`).toBeGreaterThan(0); // the list would show some
      const withUser = ids((await server.get(`${path}?user_id=${user.id}&page_size=100`)).body);
      expect(withUser.filter((id) => user.seen.has(id))).toEqual([]);
      expect(withUser.slice(0, 20)).toEqual(without.filter((id) => !user.seen.has(id)).slice(0, 20));
    }
    // A live event drops its post from the user's lists at once.
    const top = ids((await server.get(`/feed/trending?user_id=${user.id}&page_size=5`)).body)[0]!;
    const posted = await server.post('/events', { user_id: user.id, post_id: top, type: 'view' });
    expect(posted.status).toBe(201);
    user.seen.add(top);
    for (const path of paths()) {
      expect(ids((await server.get(`${path}?user_id=${user.id}&page_size=100`)).body)).not.toContain(top);
    }
    // An unknown user has seen nothing: the plain list.
    expect(ids((await server.get('/feed/latest?user_id=987654321&page_size=20')).body)).toEqual(
      ids((await server.get('/feed/latest?page_size=20')).body),
    );
  });

  it('with username instead of user_id, leaves out the same posts; an unknown username leaves out none', async () => {
    const { username } = await server.store.db
      .selectFrom('User')
      .select('username')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(username).toBeTruthy();
    const name = encodeURIComponent(username!);
    for (const path of paths()) {
      const byId = await server.get(`${path}?user_id=${user.id}&page_size=100`);
      const byName = await server.get(`${path}?username=${name}&page_size=100`);
      expect(byName.status).toBe(200);
      expect(ids(byName.body)).toEqual(ids(byId.body));
      expect(ids(byName.body).filter((id) => user.seen.has(id))).toEqual([]);
      const unknown = await server.get(`${path}?username=nobody-by-this-name&page_size=100`);
      expect(ids(unknown.body)).toEqual(ids((await server.get(`${path}?page_size=100`)).body));
    }
  });

  it('filter by category (case-insensitive) or project_code, as /feed does', async () => {
    const any = await server.get('/feed/latest?page_size=1');
    const name: string = any.body.post[0].category.name;
    const { posts } = await loadAllPosts(server.store);
    const inCategory = new Set(posts.filter((p) => p.category?.name === name).map((p) => p.id));
    for (const path of paths()) {
      const whole = await allPages(path, '', 100);
      const filtered = await server.get(
        `${path}?category=${encodeURIComponent(name.toUpperCase())}&page_size=100`,
      );
      expect(filtered.status).toBe(200);
      expect(filtered.body.post.length).toBeGreaterThan(0);
      for (const p of filtered.body.post) expect(p.category.name).toBe(name);
      expect(ids(filtered.body)).toEqual(whole.filter((id) => inCategory.has(id)));
      const alias = await server.get(`${path}?project_code=${encodeURIComponent(name)}&page_size=100`);
      expect(ids(alias.body)).toEqual(ids(filtered.body));
    }
  });

  it('page stably: consecutive pages are the long page cut up; a page past the end is empty', async () => {
    for (const path of paths()) {
      const long = ids((await server.get(`${path}?page_size=21`)).body);
      const pages = [1, 2, 3].map((page) => server.get(`${path}?page=${page}&page_size=7`));
      const cut = (await Promise.all(pages)).flatMap((res) => ids(res.body));
      expect(cut).toEqual(long);
      const past = await server.get(`${path}?page=1000&page_size=100`);
      expect(past.body).toEqual({ status: 'success', page: 1000, page_size: 100, post: [] });
    }
  });

  describe('bad input answers 400 {"status": "error", "message"} naming the parameter, never a stack', () => {
    const cases: [string, RegExp][] = [
      ['/posts/abc/similar', /^id must be a positive integer \(a post id\), got "abc"$/],
      ['/posts/0/similar', /^id must be a positive integer \(a post id\), got "0"$/],
      ['/posts/1.5/similar', /^id must be a positive integer/],
      ...ROUTES.flatMap((r): [string, RegExp][] => [
        [`${r}?page_size=101`, /^page_size must be an integer 1\.\.100, got "101"$/],
        [`${r}?page_size=0`, /^page_size must be an integer 1\.\.100, got "0"$/],
        [`${r}?page=0`, /^page must be an integer ≥ 1, got "0"$/],
        [`${r}?user_id=abc`, /^user_id must be a positive integer, got "abc"$/],
        [`${r}?username=`, /^username must be a non-empty username \(at most 200 characters\)/],
        [`${r}?explain=maybe`, /^explain must be true or false, got "maybe"$/],
        [`${r}?category=no-such-category`, /category 'no-such-category' matches no category/],
        [`${r}?category=Food&project_code=Travel`, /category and project_code name the same filter/],
      ]),
      ['/posts/{post}/similar?page_size=1000', /^page_size must be an integer 1\.\.100, got "1000"$/],
      ['/posts/{post}/similar?category=no-such-category', /category 'no-such-category' matches no category/],
      ['/posts/{post}/similar?user_id=-3', /^user_id must be a positive integer/],
    ];
    it.each(cases)('GET %s', async (path, message) => {
      const res = await server.get(path.replace('{post}', String(postId)));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ status: 'error', message: expect.stringMatching(message) });
      expect(leaksInternals(res.text)).toBe(false);
    });
  });
});

describe('the OpenAPI document', () => {
  it('lists the three routes with the /feed paging and filter parameters', async () => {
    const res = await server.get('/openapi.json');
    const paths = res.body.paths;
    for (const path of ['/posts/{id}/similar', '/feed/trending', '/feed/latest']) {
      const get = paths[path]?.get;
      expect(get, path).toBeDefined();
      expect(get.tags).toEqual(['discovery']);
      const names = get.parameters.map((p: { name: string }) => p.name);
      expect(names).toEqual(
        expect.arrayContaining(['user_id', 'category', 'project_code', 'page', 'page_size', 'explain']),
      );
      const pageSize = get.parameters.find((p: { name: string }) => p.name === 'page_size');
      expect(pageSize.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
      expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(['200', '400']));
    }
    const id = paths['/posts/{id}/similar'].get.parameters.find((p: { name: string }) => p.name === 'id');
    expect(id).toMatchObject({ in: 'path', required: true });
    expect(Object.keys(paths['/posts/{id}/similar'].get.responses)).toContain('404');
  });
});

describe('a post synced after the snapshot was built', () => {
  it('has no similar posts until the next build: an empty list, not a 404', async () => {
    const { posts } = await loadAllPosts(server.store, { limit: 1 });
    const fresh = { ...posts[0]!, id: 900_001, title: 'synced after the build' };
    await server.store.writePage('posts', [fresh] as unknown as SourceRecords['posts'][], {
      page: 1,
      pageSize: 1000,
    });
    const res = await server.get('/posts/900001/similar?page_size=5');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'success', page: 1, page_size: 5, post: [] });
  });
});

describe('trending counts live events at once', () => {
  /** The served trending list with each post's momentum (explain=true). */
  const trending = async () => {
    const res = await server.get('/feed/trending?page_size=100&explain=true');
    expect(res.status).toBe(200);
    return res.body.post.map((p: { id: number; score: number }) => ({ id: p.id, score: p.score }));
  };

  it('likes lift a low-ranked post without a rebuild; the rebuild that includes them does not count them twice', async () => {
    const before = await trending();
    // The events of earlier tests already count: the served list is the snapshot's with them merged in.
    const order = lists.trendingOrder;
    const col = order[order.length - 1]!; // the lowest-ranked post with any momentum
    const low = lists.snapshot.base.postIds[col]!;
    const stored = lists.momentum[col]!;
    expect(before.map((p: { id: number }) => p.id)).not.toContain(low);

    // Enough likes (fresh events count in full) to pass the post in the middle of the stored order.
    const { like } = lists.snapshot.base.weights;
    const middle = order[order.length >> 1]!;
    const needed = Math.ceil((lists.momentum[middle]! - stored) / like) + 1;
    const likers = await server.store.db
      .selectFrom('PostView')
      .select('user_id')
      .distinct()
      .orderBy('user_id')
      .limit(needed)
      .execute();
    expect(likers).toHaveLength(needed);
    const posted: LiveEvent[] = [];
    for (const { user_id } of likers) {
      const res = await server.post('/events', { user_id: Number(user_id), post_id: low, type: 'like' });
      expect(res.status).toBe(201);
      posted.push({ postId: low, kind: 'like', at: upstreamTimeToSeconds(res.body.created_at) });
    }

    const after = await trending();
    const lifted = after.findIndex((p: { id: number }) => p.id === low);
    expect(lifted).toBeGreaterThanOrEqual(0);
    expect(lifted).toBeLessThan(order.length >> 1);
    // Its momentum is the stored one plus the likes', as this process computes from the same snapshot.
    const inProcess = lists.list({ list: 'trending', pageSize: 100, momentumEvents: posted });
    const mine = inProcess.items.find((i) => i.postId === low)!;
    expect(mine.score).toBeCloseTo(stored + needed * like, 3);
    expect(after[lifted].score).toBe(mine.score);
    // Its neighbours are the stored order's: a post ranking just below it in the served list ranks below it here too.
    expect(after.slice(lifted, lifted + 5).map((p: { id: number }) => p.id)).toEqual(
      inProcess.items.slice(lifted, lifted + 5).map((i) => i.postId),
    );

    const info = await server.model.rebuild();
    expect((await server.get('/ready')).body.checks.model.live_events).toBe(0);
    const rebuilt = new Discovery(
      openSnapshot(decodeSnapshot(await readSnapshotArtifact(server.store, info.snapshotId!)).data),
    );
    const newCol = rebuilt.snapshot.base.postIds.indexOf(low);
    const served = await trending();
    expect(served.map((p: { id: number }) => p.id)).toEqual(
      rebuilt.list({ list: 'trending', pageSize: 100 }).items.map((i) => i.postId),
    );
    const again = served.find((p: { id: number }) => p.id === low);
    expect(again).toBeDefined();
    expect(again.score).toBe(rebuilt.momentum[newCol]!); // the stored momentum, nothing added on top
  });
});
