// The dashboard (`/dashboard`, only when ADMIN_TOKEN is set): overview, plots, user and post inspectors
// and sync, for product and data people. Registered as one encapsulated plugin: its cookie parsing, form
// parsing, headers and error pages apply to its own routes only.
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import { describeHttpError, errorJson, sendJsonText } from '../errors.js';
import { registerAssetRoutes } from './assets.js';
import { DashboardAuth } from './auth.js';
import type { DashboardContext } from './context.js';
import { VersionedCache } from './data-version.js';
import { CatalogueFigures, type FiguresWorkerInit } from './figures.js';
import { DASHBOARD_PREFIX } from './layout.js';
import { errorPage } from './pages/error.js';
import { RequestStats } from './request-stats.js';
import { registerPageRoutes, registerSignInRoutes } from './routes.js';
import { DashboardSessions } from './sessions.js';

/** Pages load only this server's own scripts, styles and data; nothing inline, no frames. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const isApi = (request: FastifyRequest) => request.url.startsWith(`${DASHBOARD_PREFIX}/api/`);

function sendFailure(request: FastifyRequest, reply: FastifyReply, status: number, message: string) {
  if (isApi(request)) return sendJsonText(reply, errorJson(message), status);
  return reply.code(status).type('text/html; charset=utf-8').send(errorPage(status, message));
}

export interface DashboardOptions {
  /** Signed-in sessions (default: 12-hour sessions in the store's database, shared by its replicas). */
  sessions?: DashboardSessions;
  /** The database the store was opened from: a SQLite file's figures are then computed in a thread. */
  database?: FiguresWorkerInit;
}

/**
 * Adds `/dashboard` to the app.
 * @example registerDashboard(app, ctx, adminToken);
 */
export async function registerDashboard(
  app: FastifyInstance,
  server: ServerContext,
  adminToken: string,
  { sessions = new DashboardSessions(server.store.db), database }: DashboardOptions = {},
): Promise<void> {
  const requests = new RequestStats(server.metrics.httpDuration);
  await requests.start();
  const d: DashboardContext = {
    server,
    auth: new DashboardAuth(adminToken, sessions),
    requests,
    cache: new VersionedCache(server.store),
    figures: new CatalogueFigures(server.store, database),
  };
  await app.register(
    async (dashboard) => {
      dashboard.addHook('onClose', async () => {
        requests.stop();
        await d.figures.close();
      });
      await dashboard.register(fastifyCookie);
      // The sign-in and sync forms post urlencoded bodies; only here.
      dashboard.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: 8192 },
        (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
      );
      dashboard.addHook('onSend', async (_request, reply, payload) => {
        reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
        reply.header('x-content-type-options', 'nosniff');
        // Not no-referrer: with it, Chromium sends `Origin: null` on the dashboard's own form posts.
        reply.header('referrer-policy', 'same-origin');
        if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
        return payload;
      });
      dashboard.setErrorHandler((error: FastifyError, request, reply) => {
        const { status, message, internal } = describeHttpError(error);
        if (internal) request.log.error({ err: error }, 'dashboard request failed');
        return sendFailure(request, reply, status, message);
      });
      dashboard.setNotFoundHandler((request, reply) =>
        sendFailure(request, reply, 404, `no dashboard page ${request.url.split('?')[0]?.slice(0, 100)}`),
      );
      registerAssetRoutes(dashboard);
      // global: false: only the sign-in form is limited (through createRateLimit), nothing else.
      await dashboard.register(fastifyRateLimit, { global: false });
      registerSignInRoutes(dashboard, d);
      await dashboard.register(async (signedIn) => {
        signedIn.addHook('onRequest', d.auth.guard);
        registerPageRoutes(signedIn, d);
      });
    },
    { prefix: DASHBOARD_PREFIX },
  );
}
