// Who may call what, over real HTTP: POST /events needs the EVENTS_TOKEN when one is set (401 without it
// or with a wrong one, the token never logged), and the routes with personal data answer on a loopback
// bind, refuse with 403 on any other without a DATA_TOKEN, and need the DATA_TOKEN once it is set.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.js';
import { isLoopbackAddress, personalDataAccess } from '../src/server/auth.js';
import { ModelHolder } from '../src/server/model-holder.js';
import { createLogger } from '../src/shared/logger.js';
import { countFeedEvents } from '../src/store/feed-events.js';
import { openStore } from '../src/store/open.js';
import {
  type SyncedDatabase,
  startTestServer,
  syncedDatabase,
  type TestServer,
} from './support/feed-server.js';

const EVENTS_TOKEN = 'events-token-5e1d09';
const DATA_TOKEN = 'data-token-77ab31';
const PERSONAL_ROUTES = ['/users/get_all', '/posts/view', '/posts/like', '/posts/inspire', '/posts/rating'];

let db: SyncedDatabase;

beforeAll(async () => {
  db = await syncedDatabase({ users: 60, posts: 20, interactions: 400 });
});

afterAll(async () => {
  await db?.cleanup();
});

describe('which bind addresses count as loopback', () => {
  it('loopback: 127.0.0.0/8, ::1 in any spelling, localhost; exposed: everything else', () => {
    for (const address of [
      '127.0.0.1',
      '127.4.5.6',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      'localhost',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopbackAddress(address), address).toBe(true);
    }
    for (const address of [
      '0.0.0.0',
      '::',
      '192.168.1.10',
      '10.0.0.1',
      'feed.example',
      '::ffff:10.0.0.1',
      '128.0.0.1',
    ]) {
      expect(isLoopbackAddress(address), address).toBe(false);
    }
  });

  it('personal data: token when DATA_TOKEN is set, open on loopback (or no socket), refused elsewhere', () => {
    expect(personalDataAccess({ dataToken: 'x', boundAddresses: ['0.0.0.0'] })).toBe('token');
    expect(personalDataAccess({ dataToken: undefined, boundAddresses: ['127.0.0.1', '::1'] })).toBe('open');
    expect(personalDataAccess({ dataToken: undefined, boundAddresses: [] })).toBe('open');
    expect(personalDataAccess({ dataToken: undefined, boundAddresses: ['127.0.0.1', '0.0.0.0'] })).toBe(
      'refused',
    );
  });
});

describe('with EVENTS_TOKEN', () => {
  let server: TestServer;
  let logs = '';

  beforeAll(async () => {
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
    });
    server = await startTestServer(db.path, {
      buildFirst: false,
      app: {
        eventsToken: EVENTS_TOKEN,
        logger: createLogger({ level: 'debug', destination }),
        logRequests: true,
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  const event = { user_id: 3, post_id: 1, type: 'like' };

  it('refuses POST /events without the token or with a wrong one (401), storing nothing', async () => {
    const before = await countFeedEvents(server.store);
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong-token-123' },
      { authorization: `Bearer ${EVENTS_TOKEN}x` },
      { authorization: EVENTS_TOKEN },
      { authorization: `Basic ${EVENTS_TOKEN}` },
    ]) {
      const res = await fetch(`${server.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(event),
      });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="events"');
      expect(await res.json()).toEqual({
        status: 'error',
        message: 'POST /events needs the header Authorization: Bearer <EVENTS_TOKEN>',
      });
    }
    expect(await countFeedEvents(server.store)).toBe(before);
  });

  it('accepts it with the token, and never writes the token to the logs', async () => {
    const res = await server.post('/events', event, { authorization: `Bearer ${EVENTS_TOKEN}` });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject(event);
    expect(logs).toContain('"url":"/events"');
    expect(logs).not.toContain(EVENTS_TOKEN);
  });

  it('documents the security schemes in the OpenAPI document', async () => {
    const doc = (await server.get('/openapi.json')).body;
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'bearerAuth',
      'eventsToken',
      'flicToken',
    ]);
    expect(doc.components.securitySchemes.eventsToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/events'].post.security).toEqual([{ eventsToken: [] }]);
    expect(Object.keys(doc.paths['/events'].post.responses)).toContain('401');
  });

  it('serves the personal-data routes without a token on a loopback bind, as before', async () => {
    for (const path of PERSONAL_ROUTES) {
      const res = await server.get(`${path}?page=1&page_size=2`);
      expect(res.status, path).toBe(200);
    }
  });

  it('refuses an EVENTS_TOKEN shorter than 8 characters', async () => {
    const store = await openStore(db.path);
    const model = new ModelHolder({ source: { kind: 'database', url: db.path } });
    try {
      await expect(buildApp({ store, model, eventsToken: 'short' })).rejects.toThrow(
        'EVENTS_TOKEN must be at least 8 characters',
      );
    } finally {
      await model.close();
      await store.close();
    }
  });
});

describe('bound to 0.0.0.0', () => {
  it('without DATA_TOKEN: the personal-data routes refuse (403) saying how to enable them; posts stay open', async () => {
    const server = await startTestServer(db.path, { buildFirst: false, host: '0.0.0.0' });
    try {
      for (const path of PERSONAL_ROUTES) {
        const res = await server.get(`${path}?page=1&page_size=2`);
        expect(res.status, path).toBe(403);
        expect(res.body.status).toBe('error');
        expect(res.body.message).toMatch(
          new RegExp(
            `^${path.replace(/\//g, '\\/')} carries personal data \\(.+\\) and this service listens on 0\\.0\\.0\\.0 ` +
              'without a DATA_TOKEN: set the DATA_TOKEN environment variable and send it as the Flic-Token header',
          ),
        );
      }
      expect(JSON.stringify((await server.get('/users/get_all')).body)).not.toContain('@');
      const posts = await server.get('/posts/summary/get?page=1&page_size=2');
      expect(posts.status).toBe(200);
      expect(posts.body.posts).toHaveLength(2);
      const doc = (await server.get('/openapi.json')).body;
      expect(Object.keys(doc.paths['/users/get_all'].get.responses)).toContain('403');
    } finally {
      await server.close();
    }
  });

  it('with DATA_TOKEN: they need it as Flic-Token (401 without or wrong) and answer with it', async () => {
    const server = await startTestServer(db.path, {
      buildFirst: false,
      host: '0.0.0.0',
      app: { dataToken: DATA_TOKEN },
    });
    try {
      for (const path of [...PERSONAL_ROUTES, '/posts/summary/get']) {
        expect((await server.get(path)).status, path).toBe(401);
        expect((await server.get(path, { 'flic-token': 'not-the-token' })).status, path).toBe(401);
        const res = await server.get(`${path}?page=1&page_size=2`, { 'flic-token': DATA_TOKEN });
        expect(res.status, path).toBe(200);
      }
      const users = await server.get('/users/get_all?page=1&page_size=2', { 'flic-token': DATA_TOKEN });
      expect(users.body.users[0]).toHaveProperty('email');
      const refused = await server.get('/users/get_all');
      expect(refused.body).toEqual({
        status: 'error',
        message: "this route needs the Flic-Token header with the service's DATA_TOKEN",
      });
    } finally {
      await server.close();
    }
  });
});
