// The six upstream endpoints, described once: path, body key, record schema and auth.
// The client, the simulator, the sync and the server's stand-in data routes all read this table.
import type { z } from 'zod';
import {
  InspireRecord,
  LikeRecord,
  PostRecord,
  RatingRecord,
  UserRecord,
  type UserRecord as UserRecordType,
  ViewRecord,
} from './schemas.js';

export const SOURCE_NAMES = ['users', 'posts', 'views', 'likes', 'inspires', 'ratings'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export const INTERACTION_SOURCES = ['views', 'likes', 'inspires', 'ratings'] as const;
export type InteractionSource = (typeof INTERACTION_SOURCES)[number];

/** The record type each source yields once validated. */
export interface SourceRecords {
  users: UserRecordType;
  posts: z.infer<typeof PostRecord>;
  views: z.infer<typeof ViewRecord>;
  likes: z.infer<typeof LikeRecord>;
  inspires: z.infer<typeof InspireRecord>;
  ratings: z.infer<typeof RatingRecord>;
}

export interface SourceSpec<S extends SourceName = SourceName> {
  readonly name: S;
  /** Path on the upstream API, e.g. `/posts/view`. */
  readonly path: string;
  /** Key of the JSON body that holds the page's records. */
  readonly bodyKey: 'users' | 'posts';
  /** Schema every record must pass. */
  readonly schema: z.ZodType<SourceRecords[S]>;
  /** Whether the endpoint needs the `Flic-Token` header. */
  readonly needsToken: boolean;
  /** Whether the endpoint takes the `resonance_algorithm` query parameter. */
  readonly takesResonanceAlgorithm: boolean;
  /** Name of the record's timestamp field, for interaction sources. */
  readonly timestampField: S extends InteractionSource ? string : null;
}

export const SOURCES: { readonly [S in SourceName]: SourceSpec<S> } = {
  users: {
    name: 'users',
    path: '/users/get_all',
    bodyKey: 'users',
    schema: UserRecord,
    needsToken: true,
    takesResonanceAlgorithm: false,
    timestampField: null,
  },
  posts: {
    name: 'posts',
    path: '/posts/summary/get',
    bodyKey: 'posts',
    schema: PostRecord,
    needsToken: true,
    takesResonanceAlgorithm: false,
    timestampField: null,
  },
  views: {
    name: 'views',
    path: '/posts/view',
    bodyKey: 'posts',
    schema: ViewRecord,
    needsToken: false,
    takesResonanceAlgorithm: true,
    timestampField: 'viewed_at',
  },
  likes: {
    name: 'likes',
    path: '/posts/like',
    bodyKey: 'posts',
    schema: LikeRecord,
    needsToken: false,
    takesResonanceAlgorithm: true,
    timestampField: 'liked_at',
  },
  inspires: {
    name: 'inspires',
    path: '/posts/inspire',
    bodyKey: 'posts',
    schema: InspireRecord,
    needsToken: false,
    takesResonanceAlgorithm: true,
    timestampField: 'inspired_at',
  },
  ratings: {
    name: 'ratings',
    path: '/posts/rating',
    bodyKey: 'posts',
    schema: RatingRecord,
    needsToken: false,
    takesResonanceAlgorithm: true,
    timestampField: 'rated_at',
  },
};

export function isSourceName(value: string): value is SourceName {
  return (SOURCE_NAMES as readonly string[]).includes(value);
}
