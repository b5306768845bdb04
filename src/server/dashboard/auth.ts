// Who may see the dashboard: a browser signed in with the ADMIN_TOKEN (a session cookie, HttpOnly and
// SameSite=Strict), or a client sending `Authorization: Bearer <ADMIN_TOKEN>`. Tokens are compared in
// constant time (../auth.ts) and never logged or echoed.
// The type import also brings @fastify/cookie's `request.cookies` / `reply.setCookie` declarations.
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, tokensEqual } from '../auth.js';
import { errorJson, sendJsonText } from '../errors.js';
import { DASHBOARD_PREFIX } from './layout.js';
import type { DashboardSessions } from './sessions.js';

export const SESSION_COOKIE = 'empowerverse_dashboard';

export class DashboardAuth {
  constructor(
    private readonly adminToken: string,
    readonly sessions: DashboardSessions,
  ) {}

  /** The token is right (the sign-in form). */
  tokenMatches(given: string): boolean {
    return tokensEqual(given, this.adminToken);
  }

  /** A Bearer header decides when present (a wrong one is refused); else the session cookie. */
  async isAuthorised(request: FastifyRequest): Promise<boolean> {
    const header = request.headers.authorization;
    if (typeof header === 'string' && header !== '') return tokensEqual(bearerToken(header), this.adminToken);
    return this.sessions.isValid(request.cookies[SESSION_COOKIE]);
  }

  /** Starts a session and sets its cookie (Secure when the request came over HTTPS). */
  async signIn(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const options: CookieSerializeOptions = {
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
      path: DASHBOARD_PREFIX,
      maxAge: Math.floor(this.sessions.ttlMs / 1000),
    };
    reply.setCookie(SESSION_COOKIE, await this.sessions.create(), options);
  }

  async signOut(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    await this.sessions.revoke(request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: DASHBOARD_PREFIX });
  }

  /**
   * onRequest hook of the protected routes: a page sends the browser to the sign-in page (coming back
   * afterwards); the JSON API and form posts answer 401.
   */
  readonly guard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (await this.isAuthorised(request)) return;
    reply.header('cache-control', 'no-store');
    if (request.method === 'GET' && !request.url.startsWith(`${DASHBOARD_PREFIX}/api/`)) {
      const next = encodeURIComponent(request.url.slice(0, 500));
      await reply.redirect(`${DASHBOARD_PREFIX}/login?next=${next}`, 303);
      return;
    }
    reply.header('www-authenticate', 'Bearer realm="dashboard"');
    await sendJsonText(
      reply,
      errorJson(
        'the dashboard needs a sign-in at /dashboard/login or the header Authorization: Bearer <ADMIN_TOKEN>',
      ),
      401,
    );
  };
}

/**
 * Whether a state-changing request comes from the dashboard's own pages: an `Origin` header, when the
 * browser sends one, must name this host (SameSite=Strict already keeps the cookie off cross-site posts).
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
