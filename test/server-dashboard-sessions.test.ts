// Dashboard sessions live in the database: a cookie issued by one replica works on every replica on that
// database, a sign-out on one ends it on all, and an expired session is refused (and pruned on sign-in).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../src/server/dashboard/auth.js';
import { DashboardSessions } from '../src/server/dashboard/sessions.js';
import { type RunningServer, startServer } from '../src/server/serve.js';
import { createScratchDatabase, StoreFactory, storeBackends } from './support/store-backends.js';

const ADMIN = 'shared-sessions-admin-token';
const backends = await storeBackends();

describe.each(backends)('dashboard sessions in the $dialect store', ({ dialect, skipReason }) => {
  const factory = new StoreFactory(dialect);
  afterEach(() => factory.cleanup());

  it.skipIf(skipReason !== null)(
    'accept their ids until expiry or revocation, and store only hashes',
    async () => {
      const store = await factory.open();
      let now = 1_000_000;
      const sessions = new DashboardSessions(store.db, { ttlMs: 100, now: () => now });
      const a = await sessions.create();
      expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await sessions.isValid(a)).toBe(true);
      expect(await sessions.isValid(`${a}x`)).toBe(false);
      expect(await sessions.isValid(undefined)).toBe(false);
      expect(await sessions.isValid('')).toBe(false);
      const stored = await store.db.selectFrom('DashboardSession').selectAll().execute();
      expect(stored).toHaveLength(1);
      expect(stored[0]!.id_hash).not.toBe(a);
      expect(Number(stored[0]!.expires_at)).toBe(1_000_100);

      // Another store on the same database (another replica) sees it.
      const other = new DashboardSessions((await factory.reopen()).db, { ttlMs: 100, now: () => now });
      expect(await other.isValid(a)).toBe(true);

      now += 100;
      expect(await sessions.isValid(a)).toBe(false);
      const b = await sessions.create();
      // Creating b pruned the expired a.
      expect((await store.db.selectFrom('DashboardSession').select('id_hash').execute()).length).toBe(1);
      expect(await sessions.isValid(b)).toBe(true);
      await other.revoke(b);
      expect(await sessions.isValid(b)).toBe(false);
      await sessions.revoke(undefined);
      await sessions.revoke('never-issued');
    },
  );
});

// --- two real servers on one database ---------------------------------------------------------

function cookieOf(response: Response): string {
  const header = response.headers.get('set-cookie') ?? '';
  const match = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(header);
  if (match === null) throw new Error(`no session cookie in ${JSON.stringify(header)}`);
  return `${SESSION_COOKIE}=${match[1]}`;
}

async function signIn(server: RunningServer): Promise<{ cookie: string; header: string }> {
  const response = await fetch(`${server.url}/dashboard/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${encodeURIComponent(ADMIN)}`,
    redirect: 'manual',
  });
  expect(response.status).toBe(303);
  return { cookie: cookieOf(response), header: response.headers.get('set-cookie') ?? '' };
}

const apiStatus = async (server: RunningServer, cookie: string) =>
  (await fetch(`${server.url}/dashboard/api/requests`, { headers: { cookie } })).status;

async function signedInOnEveryReplica(database: string): Promise<void> {
  const a = await startServer({ database, port: 0, adminToken: ADMIN });
  const b = await startServer({ database, port: 0, adminToken: ADMIN });
  try {
    const { cookie, header } = await signIn(a);
    expect(header).toMatch(/HttpOnly/i);
    expect(header).toMatch(/SameSite=Strict/i);
    expect(header).toMatch(/Max-Age=43200/);
    expect(await apiStatus(a, cookie)).toBe(200);
    expect(await apiStatus(b, cookie)).toBe(200);
    expect(await apiStatus(b, `${SESSION_COOKIE}=forged`)).toBe(401);

    const out = await fetch(`${b.url}/dashboard/logout`, {
      method: 'POST',
      headers: { cookie },
      redirect: 'manual',
    });
    expect(out.status).toBe(303);
    expect(await apiStatus(a, cookie)).toBe(401);
    expect(await apiStatus(b, cookie)).toBe(401);

    // An expired session (its row's expiry moved into the past, as time would) is refused by both.
    const second = await signIn(b);
    expect(await apiStatus(a, second.cookie)).toBe(200);
    await a.store.db.updateTable('DashboardSession').set({ expires_at: 0 }).execute();
    expect(await apiStatus(a, second.cookie)).toBe(401);
    expect(await apiStatus(b, second.cookie)).toBe(401);
    // Bearer access does not depend on sessions.
    const bearer = await fetch(`${a.url}/dashboard/api/requests`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(bearer.status).toBe(200);
  } finally {
    await b.close();
    await a.close();
  }
}

describe('two servers on one database', () => {
  it('share sign-ins and sign-outs on one SQLite file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dashboard-sessions-'));
    try {
      await signedInOnEveryReplica(join(dir, 'data.db'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(backends[1]!.skipReason !== null)(
    'share sign-ins and sign-outs on one PostgreSQL database',
    async () => {
      const scratch = await createScratchDatabase('dashboard_sessions');
      try {
        await signedInOnEveryReplica(scratch.url);
      } finally {
        await scratch.drop();
      }
    },
  );
});
