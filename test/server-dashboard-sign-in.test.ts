// The dashboard's sign-in form is rate limited per client address: guessing the ADMIN_TOKEN through it
// stops after a few attempts a minute, while Bearer access and the rest of the service are untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_IN_ATTEMPTS_PER_MINUTE } from '../src/server/dashboard/routes.js';
import { type RunningServer, startServer } from '../src/server/serve.js';

const ADMIN = 'sign-in-limit-admin-token';
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ database: ':memory:', port: 0, adminToken: ADMIN });
});

afterAll(async () => {
  await server?.close();
});

const signIn = (token: string) =>
  fetch(`${server.url}/dashboard/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${encodeURIComponent(token)}`,
    redirect: 'manual',
  });

describe('dashboard sign-in', () => {
  it('refuses further attempts from an address for the rest of the minute, saying when to retry', async () => {
    for (let i = 0; i < SIGN_IN_ATTEMPTS_PER_MINUTE; i++) {
      expect((await signIn(`wrong-guess-${i}`)).status).toBe(401);
    }
    const limited = await signIn('wrong-guess-again');
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const page = await limited.text();
    expect(page).toContain('Too many sign-in attempts from this address');
    expect(page).not.toContain('wrong-guess-again');
    // Even the right token waits: the limit is on attempts, so guessing cannot probe it.
    expect((await signIn(ADMIN)).status).toBe(429);
    // Scripts with the Bearer header and the feed service are not limited.
    const bearer = await fetch(`${server.url}/dashboard`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(bearer.status).toBe(200);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
