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
import { SOURCE_NAMES, SOURCES, type SourceName } from '../../upstream/sources.js';
import { isLoopbackAddress, tokensEqual } from '../auth.js';
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

/**
 * What makes each source's records personal data. Posts are not: they are the public catalogue, with the
 * creator names every feed shows.
 */
const PERSONAL: Partial<Record<SourceName, string>> = {
  users: 'names, emails, locations, last logins',
  views: 'who watched which post, and when',
  likes: 'who liked which post, and when',
  inspires: 'who was inspired by which post, and when',
  ratings: 'who rated which post how, and when',
};

/** The sources a DATA_TOKEN protects: personal data, and what upstream guards with its Flic-Token. */
const DATA_TOKEN_SOURCES = SOURCE_NAMES.filter((s) => PERSONAL[s] !== undefined || SOURCES[s].needsToken);

export function registerDataRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  // Where the service listens is known once it does; `inject` (no socket) counts as loopback.
  let listeningOn: string[] | undefined;
  const boundAddresses = (): string[] => {
    if (listeningOn !== undefined) return listeningOn;
    if (!app.server.listening) return [];
    listeningOn = app.addresses().map((a) => (typeof a === 'string' ? a : a.address));
    return listeningOn;
  };
  for (const [source, spec] of Object.entries(SOURCES) as [SourceName, (typeof SOURCES)[SourceName]][]) {
    const personal = PERSONAL[source];
    const needsToken = ctx.dataToken !== undefined && DATA_TOKEN_SOURCES.includes(source);
    typed.get(spec.path, {
      schema: {
        summary: DESCRIPTIONS[source],
        description:
          `The platform's ${spec.path} served from the local store: ordered by id, paged with page (1-based) ` +
          'and page_size (at most 1000); a page past the end is an empty list.' +
          (needsToken ? ' Needs the Flic-Token header (DATA_TOKEN).' : '') +
          (personal === undefined
            ? ''
            : ` Personal data (${personal}): without DATA_TOKEN it is served only while the service listens on ` +
              'a loopback address, and answers 403 otherwise.'),
        tags: ['platform data'],
        querystring: DataQuery,
        response: {
          200: spec.bodyKey === 'users' ? UsersResponse : PostsResponse,
          400: ErrorResponse,
          ...(needsToken ? { 401: ErrorResponse } : {}),
          ...(personal === undefined ? {} : { 403: ErrorResponse }),
        },
        ...(needsToken ? { security: [{ flicToken: [] }] } : {}),
      },
      handler: async (request, reply) => {
        if (needsToken) checkDataToken(request, ctx.dataToken!);
        else if (personal !== undefined && !boundAddresses().every(isLoopbackAddress)) {
          throw refusal(spec.path, personal, boundAddresses());
        }
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

/** The 403 of a route with personal data that would answer other machines without a DATA_TOKEN. */
function refusal(path: string, personal: string, boundAddresses: readonly string[]): FeedError {
  const exposed = boundAddresses.filter((a) => !isLoopbackAddress(a)).join(', ');
  return new FeedError(
    'forbidden',
    `${path} carries personal data (${personal}) and this service listens on ${exposed} without a DATA_TOKEN: ` +
      'set the DATA_TOKEN environment variable and send it as the Flic-Token header to enable it ' +
      '(or listen on 127.0.0.1 only)',
  );
}

function checkDataToken(request: FastifyRequest, expected: string): void {
  const header = request.headers['flic-token'];
  if (!tokensEqual(typeof header === 'string' ? header : undefined, expected)) {
    throw new FeedError(
      'unauthorized',
      "this route needs the Flic-Token header with the service's DATA_TOKEN",
    );
  }
}
