// Zod schemas of the HTTP API: they validate requests, describe responses, and drive the OpenAPI document.
// Each request field also registers, in words, what it accepts, so a 400 can say "page_size must be an
// integer 1..100, got "500"".
import { z } from 'zod';
import { MAX_PAGE_SIZE, MODEL_NAMES } from '../recommend/index.js';
import { FEED_EVENT_TYPES, IDEMPOTENCY_KEY_MAX, idempotencyKeyProblem } from '../store/feed-events.js';

const ACCEPTED = new WeakMap<z.ZodType, string>();

/** Registers what `schema` accepts, in words, for error messages. */
function accepts<T extends z.ZodType>(schema: T, words: string): T {
  ACCEPTED.set(schema, words);
  return schema;
}

/** A request field: its schema, what it accepts in words (errors), and its description (OpenAPI). */
function field<T extends z.ZodType>(schema: T, words: string, description: string): T {
  return accepts(schema.describe(description) as T, words);
}

/** What the field schema accepts, in words, if registered. */
export function acceptedBy(schema: z.ZodType | undefined): string | undefined {
  return schema === undefined ? undefined : ACCEPTED.get(schema);
}

/** A decimal integer from a query string ("12"); anything else ("1.5", "0x10", "", "abc") is refused. */
function queryInt(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.preprocess(
    (v) => (typeof v === 'string' && /^-?\d{1,16}$/.test(v) ? Number(v) : v),
    z.number().int().min(min).max(max),
  );
}

const range = (min: number, max: number) =>
  max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer ${min}..${max}`;

const text = (max: number) => z.string().trim().min(1).max(max);

const categoryField = field(
  text(200).optional(),
  'a category name or topic project_code (at most 200 characters)',
  'Only posts of this category (case-insensitive name, or a topic project_code).',
);
const projectCodeField = field(
  text(200).optional(),
  'a category name or topic project_code (at most 200 characters)',
  'Alias of category.',
);
const pageField = field(
  queryInt(1).default(1),
  range(1, Number.MAX_SAFE_INTEGER),
  '1-based page; a page past the end is an empty list.',
);
const pageSizeField = field(
  queryInt(1, MAX_PAGE_SIZE).default(10),
  range(1, MAX_PAGE_SIZE),
  `Posts per page, 1..${MAX_PAGE_SIZE} (default 10).`,
);
const explainValues = () => z.enum(['true', 'false', '1', '0']).optional();

/** category and project_code are one filter: both given, they must agree (feeds and discovery lists). */
function oneFilter(
  q: { category?: string | undefined; project_code?: string | undefined },
  ctx: z.RefinementCtx,
) {
  if (
    q.category !== undefined &&
    q.project_code !== undefined &&
    q.category.toLowerCase() !== q.project_code.toLowerCase()
  ) {
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: `category and project_code name the same filter; give one, or the same value (got "${q.category}" and "${q.project_code}")`,
    });
  }
}

/** A user named instead of by id (feeds and discovery lists); user_id wins when both are given. */
const usernameField = (description: string) =>
  field(text(200).optional(), 'a non-empty username (at most 200 characters)', description);

export const FeedQuery = z
  .object({
    user_id: field(
      queryInt(1).optional(),
      'a positive integer',
      'Platform user id. An unknown id gets a cold-start feed. Give user_id or username.',
    ),
    username: usernameField('Username, instead of user_id. An unknown username gets a cold-start feed.'),
    category: categoryField,
    project_code: projectCodeField,
    page: pageField,
    page_size: pageSizeField,
    model: field(
      z.enum(MODEL_NAMES).optional(),
      `one of ${MODEL_NAMES.join(', ')}`,
      "Ranking model (default: the server's, normally hybrid).",
    ),
    explain: field(
      explainValues(),
      'true or false',
      'true adds each post\'s score, source (the model or "fresh") and reason.',
    ),
  })
  .superRefine((q, ctx) => {
    if (q.user_id === undefined && q.username === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          'user_id or username is required: user_id must be a positive integer, username a non-empty string',
      });
    }
    oneFilter(q, ctx);
  });
export type FeedQuery = z.infer<typeof FeedQuery>;

/** The query of the discovery lists (/posts/{id}/similar, /feed/trending, /feed/latest): /feed's paging and filter. */
export const DiscoveryQuery = z
  .object({
    user_id: field(
      queryInt(1).optional(),
      'a positive integer',
      'Leaves out every post this user interacted with (synced history and events since). Optional.',
    ),
    username: usernameField(
      "Username, instead of user_id: leaves out that user's posts the same way. An unknown username leaves nothing out.",
    ),
    category: categoryField,
    project_code: projectCodeField,
    page: pageField,
    page_size: pageSizeField,
    explain: field(
      explainValues(),
      'true or false',
      "true adds each post's score, source (the list's name) and reason.",
    ),
  })
  .superRefine(oneFilter);
export type DiscoveryQuery = z.infer<typeof DiscoveryQuery>;

export const PostParams = z.object({
  id: field(queryInt(1), 'a positive integer (a post id)', 'Post id.'),
});

/** Paging of the platform's data routes (as upstream: page 1-based, page_size at most 1000). */
export const DataQuery = z.object({
  page: field(queryInt(1).default(1), range(1, Number.MAX_SAFE_INTEGER), '1-based page.'),
  page_size: field(queryInt(1, 1000).default(10), range(1, 1000), 'Records per page, 1..1000.'),
  resonance_algorithm: z
    .string()
    .optional()
    .describe('Accepted for compatibility with the platform; ignored.'),
});
export type DataQuery = z.infer<typeof DataQuery>;

export const EventBody = z
  .object({
    user_id: accepts(z.number().int().positive(), 'a positive integer'),
    post_id: accepts(z.number().int().positive(), 'a positive integer (a stored post)'),
    type: accepts(z.enum(FEED_EVENT_TYPES), `one of ${FEED_EVENT_TYPES.join(', ')}`),
    rating_percent: accepts(z.number().min(0).max(100).nullish(), 'a number 0..100 (required for a rating)'),
    recomm_id: field(
      z.string().min(1).max(64).optional(),
      'the recomm_id of a served page (1..64 characters)',
      'The recomm_id of the page that showed the post, when the app has it. Without it (or when that page ' +
        'did not show the post to this user), the event is attributed to the newest page that did within ' +
        'the attribution window (ATTRIBUTION_WINDOW_MINUTES, default 60).',
    ),
  })
  .superRefine((e, ctx) => {
    if (e.type === 'rating' && (e.rating_percent === undefined || e.rating_percent === null)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'rating_percent is required for a rating: a number 0..100',
      });
    }
    if (e.type !== 'rating' && e.rating_percent !== undefined && e.rating_percent !== null) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `rating_percent is only accepted with type "rating", got type "${e.type}"`,
      });
    }
  })
  .describe("An interaction the app reports: it takes effect for the user's next feed at once.");
export type EventBody = z.infer<typeof EventBody>;

// ---------------------------------------------------------------------------------------------------
// Responses (documentation; hot routes send pre-rendered JSON text of these shapes)

export const ErrorResponse = z
  .object({ status: z.literal('error'), message: z.string() })
  .describe('What was wrong and what is accepted.');

const Owner = z.object({
  first_name: z.string(),
  last_name: z.string(),
  name: z.string(),
  username: z.string(),
  picture_url: z.string(),
  user_type: z.string().nullable(),
  has_evm_wallet: z.boolean(),
  has_solana_wallet: z.boolean(),
});

const Category = z.looseObject({
  id: z.number().nullable(),
  name: z.string(),
  count: z.number(),
  description: z.string(),
  image_url: z.string(),
});

export const FeedPost = z.object({
  id: z.number(),
  owner: Owner,
  category: Category,
  topic: z.record(z.string(), z.unknown()).nullable(),
  title: z.string(),
  is_available_in_public_feed: z.boolean(),
  is_locked: z.boolean(),
  slug: z.string(),
  upvoted: z.boolean(),
  bookmarked: z.boolean(),
  following: z.boolean(),
  identifier: z.string(),
  comment_count: z.number(),
  upvote_count: z.number(),
  view_count: z.number(),
  exit_count: z.number(),
  rating_count: z.number(),
  average_rating: z.number(),
  share_count: z.number(),
  bookmark_count: z.number(),
  video_link: z.string(),
  thumbnail_url: z.string(),
  gif_thumbnail_url: z.string(),
  contract_address: z.string(),
  chain_id: z.string(),
  chart_url: z.string(),
  baseToken: z.looseObject({
    address: z.string(),
    name: z.string(),
    symbol: z.string(),
    image_url: z.string(),
  }),
  created_at: z.number().describe('Epoch milliseconds.'),
  tags: z.array(z.unknown()),
  score: z.number().optional().describe('explain=true: the ranking score.'),
  source: z
    .string()
    .optional()
    .describe('explain=true: the model that placed the post, "fresh", or the discovery list.'),
  reason: z.string().optional().describe('explain=true: which model and signal put it there.'),
});

export const FeedResponse = z.object({
  status: z.literal('success'),
  page: z.number(),
  page_size: z.number(),
  post: z.array(FeedPost),
  recomm_id: z
    .string()
    .optional()
    .describe(
      'Id of this served page (an impression), on every page with posts: send it with POST /events to ' +
        'attribute what the user did to this page and position.',
    ),
});

export const EventHeaders = z.looseObject({
  'idempotency-key': field(
    z
      .string()
      .refine((key) => idempotencyKeyProblem(key) === null)
      .optional(),
    `1..${IDEMPOTENCY_KEY_MAX} visible ASCII characters (! to ~, no spaces)`,
    "Optional: a key of the client's choosing (a UUID, say), unique per user, that makes a retry safe: " +
      'an event sent again with a key this user used before is stored once; the answer is then 200 with ' +
      'the event stored the first time and `duplicate: true`. The same key with a different event is 409.',
  ),
});
export type EventHeaders = z.infer<typeof EventHeaders>;

export const UsersResponse = z.object({ users: z.array(z.looseObject({ id: z.number() })) });
export const PostsResponse = z.object({ posts: z.array(z.looseObject({ id: z.number() })) });

export const StoredEvent = z.object({
  id: z.number(),
  user_id: z.number(),
  post_id: z.number(),
  type: z.enum(FEED_EVENT_TYPES),
  rating_percent: z.number().nullable(),
  created_at: z.string().describe('"YYYY-MM-DD HH:MM:SS" UTC.'),
  duplicate: z
    .boolean()
    .describe(
      'True (status 200) when the Idempotency-Key was used before: this is the event stored then, nothing new was stored.',
    ),
  attribution: z
    .object({
      recomm_id: z.string(),
      position: z.number().describe('1-based position of the post on that page.'),
      arm: z.string().describe('What ranked that page: a model, a list, or experiment:arm.'),
    })
    .nullable()
    .describe('The served page the event was attributed to, or null when none qualifies.'),
});

export const HealthResponse = z.object({ status: z.literal('ok'), uptime_seconds: z.number() });

const ModelState = z
  .object({
    generation: z.number().describe('Serving generation in this process (1, then +1 per swap).'),
    snapshot_id: z
      .number()
      .nullable()
      .describe('Id of the stored snapshot artifact (null: built in memory).'),
    origin: z.enum(['stored', 'built']).describe('Reused from the database, or built for this process.'),
    built_at: z.string(),
    serving_since: z.string(),
    age_seconds: z.number(),
    build_seconds: z.number(),
    load_seconds: z.number().describe('Reading and verifying the artifact.'),
    bytes: z.number().describe('Artifact size: one copy shared by every worker.'),
    users: z.number(),
    posts: z.number(),
    interactions: z.number(),
    feed_event_watermark: z.number().describe('FeedEvent ids up to this one are inside the snapshot.'),
    sync_watermark: z
      .record(z.string(), z.string())
      .describe('Where sync stood per source when it was built.'),
    models: z.array(z.string()),
  })
  .nullable();

/** The configuration the snapshot in force was built with: a stored tuning or the defaults. */
const ConfigurationState = z
  .object({
    tuned: z
      .object({
        id: z.number().describe('Id of the stored tuning (`empowerverse tune`).'),
        created_at: z.string().describe('When the tuning was stored (ISO).'),
        baseline_ndcg20: z.number().describe('Validation NDCG@20 of the hybrid with the defaults.'),
        tuned_ndcg20: z.number().describe('Validation NDCG@20 of the hybrid with the tuned options.'),
      })
      .nullable()
      .describe('The stored tuning the snapshot in force was built with; null: the defaults.'),
    line: z.string().describe('The same in one line, as `empowerverse build` prints it.'),
    since: z.string().describe('When this process started serving it (ISO): the swap-in of the snapshot.'),
  })
  .nullable()
  .describe('Which configuration is in force and since when; null before the first model.');

export const ReadyResponse = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    store: z.object({ ok: z.boolean(), error: z.string().optional() }),
    events: z
      .object({
        ok: z.boolean().describe('The last read of new events succeeded.'),
        listening: z
          .boolean()
          .nullable()
          .describe('PostgreSQL: LISTEN for new events is in force; null on SQLite (polling only).'),
        last_event_id: z.number().describe('The highest FeedEvent id this process has read.'),
        pending_gaps: z
          .number()
          .describe('Ids skipped over (not committed yet, or rolled back) that are still asked for.'),
        error: z.string().nullable(),
      })
      .describe('Catch-up of the events any process stores (POST /events on another replica, say).'),
    model: z.object({
      ok: z.boolean(),
      building: z.boolean(),
      error: z.string().nullable(),
      workers: z
        .object({ serving: z.number(), configured: z.number() })
        .describe('Model worker threads serving the snapshot in force, of those configured (ready: all).'),
      build_step: z.string().nullable().describe('What a running build is doing (load, a model, store).'),
      posts_warm: z.boolean().describe('The posts of the first snapshot are rendered and cached.'),
      live_events: z.number().describe('Events received since the snapshot was built, applied per request.'),
    }),
  }),
  model: ModelState,
  configuration: ConfigurationState,
  last_sync_at: z.string().nullable().describe('When the last complete sync of any source finished (ISO).'),
});

const SourceProgressSchema = z.object({
  status: z.enum(['pending', 'running', 'complete', 'failed', 'aborted']),
  pages: z.number(),
  records: z.number(),
  invalid: z.number(),
  start_page: z.number().nullable(),
  error: z.string().optional(),
});

export const SyncRunSchema = z.object({
  id: z.number(),
  trigger: z.enum(['admin', 'interval']),
  status: z.enum(['running', 'complete', 'failed', 'aborted']),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  pid: z
    .number()
    .nullable()
    .describe('The process running the sync (a child process), or null for one in the server process.'),
  replica: z
    .string()
    .optional()
    .describe('With replicas on PostgreSQL: the replica running it (host:pid of its serving process).'),
  error: z.string().optional().describe('Why the run failed as a whole, e.g. its sync process died.'),
  sources: z.record(z.string(), SourceProgressSchema),
});

export const SyncStatusResponse = z.object({
  running: z.boolean(),
  configured: z.boolean(),
  interval_minutes: z.number().nullable(),
  current: SyncRunSchema.nullable().describe('The running sync, or the last one.'),
  previous: SyncRunSchema.nullable(),
});

/** The query of GET /admin/experiments. */
export const ExperimentsQuery = z.object({
  days: field(
    queryInt(1, 3650).optional(),
    'an integer 1..3650',
    'Count only impressions of the last this many days (default: every retained impression).',
  ),
});

const RateFigureSchema = z.object({
  count: z.number().describe('Impressions with at least one such event.'),
  rate: z.number().describe('count / impressions.'),
  ci_low: z.number().describe('95% Wilson score interval, low end.'),
  ci_high: z.number().describe('95% Wilson score interval, high end.'),
});

const ComparisonSchema = z.object({
  difference: z.number().describe("This arm's rate minus the control's."),
  z: z.number().describe('Two-proportion z statistic (pooled).'),
  p_value: z.number().describe('Two-sided.'),
  significant: z.boolean().describe('p_value < 0.05.'),
});

export const ExperimentsResponse = z.object({
  since: z.string().nullable().describe('Start of the period counted; null: every retained impression.'),
  experiments: z.array(
    z.object({
      name: z.string(),
      traffic: z.number().describe('Share of users in the experiment.'),
      control: z.string().describe('The first arm, which the others are compared with.'),
      arms: z.array(
        z.object({
          name: z.string(),
          model: z.string(),
          share: z.number(),
          label: z.string().describe('experiment:arm, the arm label of impressions and /metrics.'),
          impressions: z.number(),
          view_rate: RateFigureSchema,
          like_rate: RateFigureSchema,
          inspire_rate: RateFigureSchema,
          engaged_posts: z.number().describe('Distinct (page, position) with an attributed event.'),
          mean_reciprocal_rank: z.number().describe('Mean of 1/position over engaged posts.'),
          vs_control: z
            .object({
              view_rate: ComparisonSchema,
              like_rate: ComparisonSchema,
              inspire_rate: ComparisonSchema,
            })
            .nullable()
            .describe('Null for the control.'),
        }),
      ),
    }),
  ),
});
