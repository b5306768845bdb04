// Dashboard sign-in sessions: a random id per sign-in, kept in memory (a restart signs everyone out) and
// sent as an HttpOnly, SameSite=Strict cookie. The ADMIN_TOKEN itself never goes into a cookie. Ids are
// stored hashed, so the map's lookup time says nothing about a guessed id.
import { createHash, randomBytes } from 'node:crypto';

export interface DashboardSessionsOptions {
  /** How long a session lasts after sign-in. Default 12 hours. */
  ttlMs?: number;
  /** Sessions kept at most; the oldest goes first. */
  maxSessions?: number;
  now?: () => number;
}

const hashOf = (id: string) => createHash('sha256').update(id).digest('base64url');

/** The signed-in sessions of one server. */
export class DashboardSessions {
  /** Hashed id → expiry (epoch ms), in creation order. */
  private readonly expiries = new Map<string, number>();
  readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor({ ttlMs = 12 * 3600_000, maxSessions = 1000, now = Date.now }: DashboardSessionsOptions = {}) {
    this.ttlMs = ttlMs;
    this.maxSessions = maxSessions;
    this.now = now;
  }

  /**
   * A new session; returns its id (the cookie value).
   * @example reply.setCookie(SESSION_COOKIE, sessions.create(), cookieOptions)
   */
  create(): string {
    const id = randomBytes(32).toString('base64url');
    this.expiries.set(hashOf(id), this.now() + this.ttlMs);
    while (this.expiries.size > this.maxSessions) {
      const oldest = this.expiries.keys().next().value;
      if (oldest === undefined) break;
      this.expiries.delete(oldest);
    }
    return id;
  }

  /** Whether `id` names a live session (an expired one is forgotten). */
  isValid(id: string | undefined): boolean {
    if (id === undefined || id === '') return false;
    const key = hashOf(id);
    const expiry = this.expiries.get(key);
    if (expiry === undefined) return false;
    if (expiry <= this.now()) {
      this.expiries.delete(key);
      return false;
    }
    return true;
  }

  /** Ends a session (sign-out). */
  revoke(id: string | undefined): void {
    if (id !== undefined) this.expiries.delete(hashOf(id));
  }
}
