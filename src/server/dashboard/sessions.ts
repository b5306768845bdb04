// Dashboard sign-in sessions: a random id per sign-in, sent as an HttpOnly, SameSite=Strict cookie. The
// ADMIN_TOKEN itself never goes into a cookie. Sessions live in the database (../../store/dashboard-sessions.ts)
// so every replica on it accepts them and a sign-out ends them everywhere; only the id's SHA-256 is stored,
// so the table holds nothing a browser could present.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  createDashboardSession,
  isDashboardSessionValid,
  revokeDashboardSession,
} from '../../store/dashboard-sessions.js';
import type { Database } from '../../store/schema.js';

export interface DashboardSessionsOptions {
  /** How long a session lasts after sign-in. Default 12 hours. */
  ttlMs?: number;
  now?: () => number;
}

const hashOf = (id: string) => createHash('sha256').update(id).digest('base64url');

/** Longest cookie value looked up: ids are 43 characters; anything much longer is not one of ours. */
const MAX_ID_LENGTH = 128;

/** The signed-in sessions of every server on one database. */
export class DashboardSessions {
  readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Kysely<Database>,
    { ttlMs = 12 * 3600_000, now = Date.now }: DashboardSessionsOptions = {},
  ) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /**
   * A new session; returns its id (the cookie value).
   * @example reply.setCookie(SESSION_COOKIE, await sessions.create(), cookieOptions)
   */
  async create(): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    await createDashboardSession(this.db, hashOf(id), now + this.ttlMs, now);
    return id;
  }

  /** Whether `id` names a live session. */
  async isValid(id: string | undefined): Promise<boolean> {
    if (id === undefined || id === '' || id.length > MAX_ID_LENGTH) return false;
    return isDashboardSessionValid(this.db, hashOf(id), this.now());
  }

  /** Ends a session (sign-out), on every server. */
  async revoke(id: string | undefined): Promise<void> {
    if (id !== undefined && id !== '') await revokeDashboardSession(this.db, hashOf(id));
  }
}
