// The platform's six data routes served from the local store, in the upstream shapes and paging, so the
// service can stand in for the platform API (as the prototype's did).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { FeedError } from '../../shared/errors.js';
import {
  loadAllPosts,
  loadPostInspires,
  loadPostLikes,
  loadPostRatings,
  loadPostViews,
  loadUsers,
  type QueryFilter,
} from '../../store/queries.js';
import type { Store } from '../../store/types.js';
import { SOURCES, type SourceName } from '../../upstream/sources.js';
import { tokensEqual } from '../auth.js';
import type { ServerContext } from '../context.js';
import { sendJsonText } from '../errors.js';
import { DataQuery, ErrorResponse, PostsResponse, UsersResponse } from '../schemas.js';

/** One page of a source's records, as upstream sends them. */
const LOADERS: Record<SourceName, (store: Store, filter: QueryFilter) => Promise<unknown[]>> = {
  users: async (store, f) => (await loadUsers(store, f)).users,
  posts: async (store, f) => (await loadAllPosts(store, f)).posts,
  views: async (store, f) => (await loadPostViews(store, f)).views,
  likes: async (store, f) => (await loadPostLikes(store, f)).likes,
  inspires: async (store, f) => (await loadPostInspires(store, f)).inspires,
  ratings: async (store, f) => (await loadPostRatings(store, f)).ratings,
};

const DESCRIPTIONS: Record<SourceName, string> = {
  users: 'Every stored user, as the platform sends them',
  posts: 'Every stored post with its category, topic and post_summary, as the platform sends them',
  views: 'Stored views {id, post_id, user_id, viewed_at}',
  likes: 'Stored likes {id, post_id, user_id, liked_at}',
  inspires: 'Stored inspires {id, post_id, user_id, inspired_at}',
  ratings: 'Stored ratings {id, post_id, user_id, rating_percent, rated_at}',
};

export function registerDataRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  for (const [source, spec] of Object.entries(SOURCES) as [SourceName, (typeof SOURCES)[SourceName]][]) {
    const needsToken = spec.needsToken && ctx.dataToken !== undefined;
    typed.get(spec.path, {
      schema: {
        summary: DESCRIPTIONS[source],
        description:
          `The platform's ${spec.path} served from the local store: ordered by id, paged with page (1-based) ` +
          'and page_size (at most 1000); a page past the end is an empty list.' +
          (needsToken ? ' Needs the Flic-Token header.' : ''),
        tags: ['platform data'],
        querystring: DataQuery,
        response: { 200: spec.bodyKey === 'users' ? UsersResponse : PostsResponse, 400: ErrorResponse },
        ...(needsToken ? { security: [{ flicToken: [] }] } : {}),
      },
      handler: async (request, reply) => {
        if (needsToken) checkDataToken(request, ctx.dataToken!);
        const { page, page_size } = request.query;
        const offset = (page - 1) * page_size;
        // A page beyond any table's reach is simply past the end.
        const records = Number.isSafeInteger(offset)
          ? await LOADERS[source](ctx.store, { limit: page_size, offset })
          : [];
        // Pre-serialised: records keep every field upstream sent, unknown ones included.
        return sendJsonText(reply as FastifyReply, JSON.stringify({ [spec.bodyKey]: records }));
      },
    });
  }
}

function checkDataToken(request: FastifyRequest, expected: string): void {
  const header = request.headers['flic-token'];
  if (!tokensEqual(typeof header === 'string' ? header : undefined, expected)) {
    throw new FeedError('unauthorized', "this route needs the Flic-Token header with the service's token");
  }
}
