// Admin routes (only registered when ADMIN_TOKEN is set): start a sync and watch its progress.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireBearer } from '../auth.js';
import type { ServerContext } from '../context.js';
import { experimentsReport } from '../experiment-report.js';
import {
  ErrorResponse,
  ExperimentsQuery,
  ExperimentsResponse,
  SyncRunSchema,
  SyncStatusResponse,
} from '../schemas.js';

export function registerAdminRoutes(app: FastifyInstance, ctx: ServerContext, adminToken: string): void {
  void app.register(async (admin) => {
    admin.addHook(
      'onRequest',
      requireBearer(adminToken, 'admin', 'admin routes need the header Authorization: Bearer <ADMIN_TOKEN>'),
    );
    const typed = admin.withTypeProvider<ZodTypeProvider>();
    typed.post('/admin/sync', {
      schema: {
        summary: 'Start a sync from the upstream API',
        description:
          'Starts a sync in the background (202) and answers with its run; 409 while one runs. When it ' +
          'ends, the model is rebuilt in the background and swapped in.',
        tags: ['admin'],
        security: [{ bearerAuth: [] }],
        response: { 202: SyncRunSchema, 401: ErrorResponse, 409: ErrorResponse, 503: ErrorResponse },
      },
      handler: async (_request, reply) => reply.code(202).send(await ctx.sync.start('admin')),
    });
    typed.get('/admin/sync', {
      schema: {
        summary: 'Progress of the running (or last) sync',
        tags: ['admin'],
        security: [{ bearerAuth: [] }],
        response: { 200: SyncStatusResponse, 401: ErrorResponse },
      },
      handler: async () => ctx.sync.status(),
    });
    typed.get('/admin/experiments', {
      schema: {
        summary: 'The A/B experiments and each arm’s online metrics',
        description:
          'For each configured experiment (EXPERIMENTS), each arm: impressions (served /feed pages of its ' +
          'users), the share of impressions with a view, like or inspire attributed to them (POST /events) with ' +
          'its 95% Wilson interval, the mean reciprocal rank of engaged posts, and, against the first arm (the ' +
          'control), the difference of each share with a two-proportion z-test (two-sided p-value; significant ' +
          'at 0.05). Counts every retained impression, or those of the last `days`.',
        tags: ['admin'],
        security: [{ bearerAuth: [] }],
        querystring: ExperimentsQuery,
        response: { 200: ExperimentsResponse, 400: ErrorResponse, 401: ErrorResponse, 503: ErrorResponse },
      },
      handler: async (request) => {
        const { days } = request.query;
        return experimentsReport(ctx.store.db, ctx.experiments.list, {
          ...(days === undefined ? {} : { fromMs: Date.now() - days * 86_400_000 }),
        });
      },
    });
  });
}
