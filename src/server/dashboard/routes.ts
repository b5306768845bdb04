// The dashboard's routes below /dashboard: sign-in and sign-out (public), the pages and their polling
// endpoints (signed in, or Bearer). Pages are HTML rendered on the server; every route is left out of
// the OpenAPI document.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FeedError } from '../../shared/errors.js';
import { sameOrigin } from './auth.js';
import type { DashboardContext } from './context.js';
import { userIdByName } from './data/user-detail.js';
import { dashboardPath } from './layout.js';
import { loginPage } from './pages/login.js';
import { overviewPage } from './pages/overview.js';
import { plotsPage } from './pages/plots.js';
import { postPage, postsIndexPage } from './pages/posts.js';
import { rateSeries, requestTable } from './pages/requests.js';
import { syncPage, syncStatusFragment } from './pages/sync.js';
import { userPage, usersIndexPage } from './pages/users.js';
import { IdText, parseInput, SearchText, SignInForm, safeNext } from './params.js';
import {
  expectedRecords,
  overviewView,
  plotsView,
  postsIndexView,
  postView,
  syncView,
  usersIndexView,
  userView,
} from './views.js';

const hidden = { schema: { hide: true } };

/** Sign-in form posts per client address and minute; more are refused with 429. */
export const SIGN_IN_ATTEMPTS_PER_MINUTE = 10;

const sendPage = (reply: FastifyReply, markup: string, status = 200) =>
  reply.code(status).type('text/html; charset=utf-8').send(markup);

type Query = Record<string, string | undefined>;
const queryOf = (request: FastifyRequest) => (request.query ?? {}) as Query;
const paramsOf = (request: FastifyRequest) => (request.params ?? {}) as Query;

/** Sign-in and sign-out. */
export function registerSignInRoutes(app: FastifyInstance, d: DashboardContext): void {
  app.get('/login', hidden, async (request, reply) => {
    const next = safeNext(queryOf(request).next);
    if (await d.auth.isAuthorised(request)) return reply.redirect(next, 303);
    return sendPage(reply, loginPage({ next }));
  });

  // Guessing the ADMIN_TOKEN through the form: a few attempts per minute per client address (behind a
  // proxy that address is the proxy's unless fastify's trustProxy is set).
  const attempt = app.createRateLimit({ max: SIGN_IN_ATTEMPTS_PER_MINUTE, timeWindow: 60_000 });
  app.post('/login', hidden, async (request, reply) => {
    const form = SignInForm.safeParse(request.body ?? {});
    const next = safeNext(form.success ? form.data.next : undefined);
    const limit = await attempt(request);
    if (!limit.isAllowed && limit.isExceeded) {
      reply.header('retry-after', String(limit.ttlInSeconds));
      const error = `Too many sign-in attempts from this address: try again in ${limit.ttlInSeconds} s.`;
      return sendPage(reply, loginPage({ next, error }), 429);
    }
    if (!sameOrigin(request)) {
      return sendPage(
        reply,
        loginPage({ next, error: 'Sign-in refused: the form came from another site.' }),
        403,
      );
    }
    if (!form.success || !d.auth.tokenMatches(form.data.token)) {
      return sendPage(reply, loginPage({ next, error: "That is not the server's ADMIN_TOKEN." }), 401);
    }
    await d.auth.signIn(request, reply);
    return reply.redirect(next, 303);
  });

  app.post('/logout', hidden, async (request, reply) => {
    await d.auth.signOut(request, reply);
    return reply.redirect(dashboardPath('/login'), 303);
  });
}

/** Pages and polling endpoints (behind `d.auth.guard`). */
export function registerPageRoutes(app: FastifyInstance, d: DashboardContext): void {
  app.get('/', hidden, async (_request, reply) => sendPage(reply, overviewPage(await overviewView(d))));

  app.get('/plots', hidden, async (_request, reply) => sendPage(reply, plotsPage(await plotsView(d))));

  app.get('/users', hidden, async (request, reply) => {
    const raw = queryOf(request).user;
    if (raw === undefined) return sendPage(reply, usersIndexPage(await usersIndexView(d, '')));
    const query = parseInput(SearchText, raw, 'user', 'a user id or a username (1..200 characters)');
    const byId = IdText.safeParse(query);
    const id = byId.success ? byId.data : await userIdByName(d.server.store.db, query);
    if (id === null) {
      const view = await usersIndexView(d, query, `No user is called ${JSON.stringify(query)}.`);
      return sendPage(reply, usersIndexPage(view), 404);
    }
    return reply.redirect(dashboardPath(`/users/${id}`), 303);
  });

  app.get('/users/:id', hidden, async (request, reply) => {
    const id = parseInput(IdText, paramsOf(request).id, 'user id', 'a positive integer');
    return sendPage(reply, userPage(await userView(d, id)));
  });

  app.get('/posts', hidden, async (request, reply) => {
    const raw = queryOf(request).post;
    if (raw === undefined) return sendPage(reply, postsIndexPage(await postsIndexView(d, '')));
    const id = parseInput(IdText, raw, 'post', 'a post id (a positive integer)');
    return reply.redirect(dashboardPath(`/posts/${id}`), 303);
  });

  app.get('/posts/:id', hidden, async (request, reply) => {
    const id = parseInput(IdText, paramsOf(request).id, 'post id', 'a positive integer');
    return sendPage(reply, postPage(await postView(d, id)));
  });

  app.get('/sync', hidden, async (request, reply) => {
    const started = queryOf(request).started;
    const run = started === undefined ? undefined : IdText.safeParse(started);
    const notice = run?.success ? `Sync started (this server's run ${run.data}).` : undefined;
    return sendPage(reply, syncPage(await syncView(d, notice ? { notice } : {})));
  });

  app.post('/sync', hidden, async (request, reply) => {
    if (!sameOrigin(request)) {
      return sendPage(
        reply,
        syncPage(await syncView(d, { error: 'Refused: the form came from another site.' })),
        403,
      );
    }
    try {
      const run = await d.server.sync.start('admin');
      return reply.redirect(dashboardPath(`/sync?started=${run.id}`), 303);
    } catch (error) {
      if (!(error instanceof FeedError)) throw error;
      return sendPage(reply, syncPage(await syncView(d, { error: error.message })), error.status);
    }
  });

  app.get('/api/requests', hidden, async (_request, reply) => {
    const summary = await d.requests.summary();
    return reply.header('cache-control', 'no-store').send({
      html: requestTable(summary).markup,
      chart: rateSeries(summary),
    });
  });

  app.get('/api/sync', hidden, async (_request, reply) => {
    const status = await d.server.sync.status();
    return reply.header('cache-control', 'no-store').send({
      html: syncStatusFragment(status, await expectedRecords(d)).markup,
      active: status.running,
      status,
    });
  });
}
