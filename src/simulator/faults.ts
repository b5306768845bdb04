// Fault injection for the simulator: which request fails how, decided per (source, page, attempt) from a seed.
//
// Request faults (500, 429, reset, slow, malformed body) depend on the attempt number, so a retried
// request can succeed where the first failed, and `times: 'always'` keeps a page broken. Data faults
// (invalid records, duplicated records across pages) depend on the record or page only, so they look
// the same on every attempt, as real bad data would.
import { FeedError } from '../shared/errors.js';
import { isSourceName, SOURCE_NAMES, SOURCES, type SourceName } from '../upstream/sources.js';
import { hash01, hash32, hashString } from './random.js';

export const MALFORMED_KINDS = ['truncated-json', 'wrong-shape', 'wrong-key'] as const;
/**
 * How a malformed page looks: `truncated-json` cuts the body in half; `wrong-shape` nests the list in
 * an object (`{"posts": {"results": [...]}}`); `wrong-key` puts it under another key (`{"data": [...]}`).
 */
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** How many attempts of a page a scripted fault hits: the first `n`, or every one. */
export type FaultTimes = number | 'always';

export interface MalformedPage {
  source: SourceName;
  /** 1-based page number. */
  page: number;
  /** Default 1: only the first attempt is malformed. */
  times?: FaultTimes;
  /** Default `truncated-json`. */
  kind?: MalformedKind;
}

export const PAGE_FAILURES = ['error', 'rate-limit', 'reset'] as const;
/** `error` answers 500, `rate-limit` 429 with Retry-After, `reset` destroys the connection. */
export type PageFailure = (typeof PAGE_FAILURES)[number];

export interface FailingPage {
  source: SourceName;
  page: number;
  /** Default 1. */
  times?: FaultTimes;
  /** Default `error`. */
  fault?: PageFailure;
}

/** A record position (0-based, in paging order) to serve in an invalid form. */
export interface InvalidRecordSpec {
  source: SourceName;
  index: number;
}

/** Fault switches; everything is off by default. Rates are shares 0..1 of requests (or records). */
export interface FaultOptions {
  /** Share of requests answered 500. */
  errorRate?: number;
  /** Share of requests answered 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  /** Share of requests whose connection is destroyed before any answer (a network error). */
  resetRate?: number;
  /** Share of requests answered after `slowMs` milliseconds. */
  slowRate?: number;
  slowMs?: number;
  /** Share of requests answered 200 with a malformed body. */
  malformedRate?: number;
  /** Pages whose body is malformed on the first `times` attempts. */
  malformedPages?: MalformedPage[];
  /** Pages answered 500/429/reset on the first `times` attempts. */
  failPages?: FailingPage[];
  /** Share of records served in a form that fails the schema (same records on every attempt). */
  invalidRecordRate?: number;
  /** Exact records to serve invalid, in addition to the rate. */
  invalidRecords?: InvalidRecordSpec[];
  /** Share of pages (after the first) that start with the last 1-3 records of the previous page. */
  duplicateRate?: number;
  /** Sources the random rates apply to (default all six); scripted faults name their source. */
  sources?: SourceName[];
}

export interface ResolvedFaults {
  readonly errorRate: number;
  readonly rateLimitRate: number;
  readonly retryAfterSeconds: number;
  readonly resetRate: number;
  readonly slowRate: number;
  readonly slowMs: number;
  readonly malformedRate: number;
  readonly malformedPages: readonly Required<MalformedPage>[];
  readonly failPages: readonly Required<FailingPage>[];
  readonly invalidRecordRate: number;
  readonly invalidRecords: readonly InvalidRecordSpec[];
  readonly duplicateRate: number;
  readonly sources: readonly SourceName[];
}

function checkRate(name: string, value: number | undefined): number {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0 || v > 1)
    throw new FeedError('bad_request', `${name} must be a share 0..1, got ${value}`);
  return v;
}

function checkCount(name: string, value: number | undefined, fallback: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0 || v > max)
    throw new FeedError('bad_request', `${name} must be 0..${max}, got ${value}`);
  return v;
}

function checkSource(where: string, source: unknown): SourceName {
  if (typeof source !== 'string' || !isSourceName(source)) {
    throw new FeedError(
      'bad_request',
      `${where}.source must be one of ${SOURCE_NAMES.join(', ')}, got ${JSON.stringify(source)}`,
    );
  }
  return source;
}

function checkPage(where: string, page: unknown): number {
  if (typeof page !== 'number' || !Number.isSafeInteger(page) || page < 1) {
    throw new FeedError('bad_request', `${where}.page must be an integer >= 1, got ${JSON.stringify(page)}`);
  }
  return page;
}

function checkTimes(where: string, times: unknown): FaultTimes {
  if (times === undefined) return 1;
  if (times === 'always') return times;
  if (typeof times !== 'number' || !Number.isSafeInteger(times) || times < 1) {
    throw new FeedError(
      'bad_request',
      `${where}.times must be an integer >= 1 or "always", got ${JSON.stringify(times)}`,
    );
  }
  return times;
}

/** Fills in defaults and checks every switch; throws a `bad_request` FeedError naming the bad one. */
export function resolveFaults(options: FaultOptions = {}): ResolvedFaults {
  const malformedPages = (options.malformedPages ?? []).map((m, i) => {
    const where = `malformedPages[${i}]`;
    const kind = m.kind ?? 'truncated-json';
    if (!MALFORMED_KINDS.includes(kind)) {
      throw new FeedError(
        'bad_request',
        `${where}.kind must be one of ${MALFORMED_KINDS.join(', ')}, got ${JSON.stringify(kind)}`,
      );
    }
    return {
      source: checkSource(where, m.source),
      page: checkPage(where, m.page),
      times: checkTimes(where, m.times),
      kind,
    };
  });
  const failPages = (options.failPages ?? []).map((f, i) => {
    const where = `failPages[${i}]`;
    const fault = f.fault ?? 'error';
    if (!PAGE_FAILURES.includes(fault)) {
      throw new FeedError(
        'bad_request',
        `${where}.fault must be one of ${PAGE_FAILURES.join(', ')}, got ${JSON.stringify(fault)}`,
      );
    }
    return {
      source: checkSource(where, f.source),
      page: checkPage(where, f.page),
      times: checkTimes(where, f.times),
      fault,
    };
  });
  const invalidRecords = (options.invalidRecords ?? []).map((r, i) => {
    const where = `invalidRecords[${i}]`;
    if (!Number.isSafeInteger(r.index) || r.index < 0) {
      throw new FeedError(
        'bad_request',
        `${where}.index must be an integer >= 0, got ${JSON.stringify(r.index)}`,
      );
    }
    return { source: checkSource(where, r.source), index: r.index };
  });
  const sources = (options.sources ?? SOURCE_NAMES).map((s, i) => checkSource(`sources[${i}]`, s));
  return Object.freeze({
    errorRate: checkRate('errorRate', options.errorRate),
    rateLimitRate: checkRate('rateLimitRate', options.rateLimitRate),
    retryAfterSeconds: checkCount('retryAfterSeconds', options.retryAfterSeconds, 1, 3600),
    resetRate: checkRate('resetRate', options.resetRate),
    slowRate: checkRate('slowRate', options.slowRate),
    slowMs: checkCount('slowMs', options.slowMs, 2000, 600_000),
    malformedRate: checkRate('malformedRate', options.malformedRate),
    malformedPages,
    failPages,
    invalidRecordRate: checkRate('invalidRecordRate', options.invalidRecordRate),
    invalidRecords,
    duplicateRate: checkRate('duplicateRate', options.duplicateRate),
    sources,
  });
}

/** What to do with one request. */
export interface FaultDecision {
  /** Answer with this failure instead of the page (null: serve the page). */
  failure: PageFailure | null;
  /** Wait this long first (0: answer at once). */
  delayMs: number;
  /** Serve the page malformed this way (null: well-formed). */
  malformed: MalformedKind | null;
}

// Salts keep the random streams of the different faults independent.
const SALT = {
  rateLimit: hashString('rate-limit'),
  error: hashString('error'),
  reset: hashString('reset'),
  slow: hashString('slow'),
  malformed: hashString('malformed'),
  invalid: hashString('invalid'),
  variant: hashString('variant'),
  duplicate: hashString('duplicate'),
};

const SOURCE_SALT = Object.fromEntries(SOURCE_NAMES.map((s) => [s, hashString(s)])) as Record<
  SourceName,
  number
>;

function hits(times: FaultTimes, attempt: number): boolean {
  return times === 'always' || attempt <= times;
}

/**
 * Decides the faults of one request: `attempt` counts requests for the same (source, page), from 1.
 * Scripted pages come first; then the random rates, each an independent draw from (seed, page, attempt).
 */
export function decideFaults(
  faults: ResolvedFaults,
  seed: number,
  source: SourceName,
  page: number,
  attempt: number,
): FaultDecision {
  const decision: FaultDecision = { failure: null, delayMs: 0, malformed: null };
  const s = SOURCE_SALT[source];
  const random = faults.sources.includes(source);
  for (const f of faults.failPages) {
    if (f.source === source && f.page === page && hits(f.times, attempt)) {
      decision.failure = f.fault;
      break;
    }
  }
  if (!decision.failure && random) {
    if (faults.rateLimitRate > 0 && hash01(seed, SALT.rateLimit, s, page, attempt) < faults.rateLimitRate) {
      decision.failure = 'rate-limit';
    } else if (faults.errorRate > 0 && hash01(seed, SALT.error, s, page, attempt) < faults.errorRate) {
      decision.failure = 'error';
    } else if (faults.resetRate > 0 && hash01(seed, SALT.reset, s, page, attempt) < faults.resetRate) {
      decision.failure = 'reset';
    }
  }
  if (random && faults.slowRate > 0 && hash01(seed, SALT.slow, s, page, attempt) < faults.slowRate) {
    decision.delayMs = faults.slowMs;
  }
  for (const m of faults.malformedPages) {
    if (m.source === source && m.page === page && hits(m.times, attempt)) {
      decision.malformed = m.kind;
      break;
    }
  }
  if (!decision.malformed && random && faults.malformedRate > 0) {
    const u = hash01(seed, SALT.malformed, s, page, attempt);
    if (u < faults.malformedRate) {
      decision.malformed =
        MALFORMED_KINDS[hash32(seed, SALT.malformed, s, page, attempt, 1) % MALFORMED_KINDS.length] ?? null;
    }
  }
  return decision;
}

/** A predicate telling whether the record at a position is served invalid; fast when nothing is. */
export function invalidRecordPredicate(
  faults: ResolvedFaults,
  seed: number,
  source: SourceName,
): ((index: number) => boolean) | null {
  const explicit = new Set(faults.invalidRecords.filter((r) => r.source === source).map((r) => r.index));
  const rate = faults.sources.includes(source) ? faults.invalidRecordRate : 0;
  if (explicit.size === 0 && rate === 0) return null;
  const s = SOURCE_SALT[source];
  return (index) => explicit.has(index) || (rate > 0 && hash01(seed, SALT.invalid, s, index) < rate);
}

/** The positions (0-based) of the records served invalid among the first `count`, ascending. */
export function invalidRecordPositions(
  faults: ResolvedFaults,
  seed: number,
  source: SourceName,
  count: number,
): number[] {
  const isInvalid = invalidRecordPredicate(faults, seed, source);
  if (!isInvalid) return [];
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (isInvalid(i)) out.push(i);
  return out;
}

type Mutation = (record: Record<string, unknown>) => void;

/** Realistic ways a record goes bad; each must fail the source's schema in src/upstream/schemas.ts. */
const MUTATIONS: Record<SourceName, Mutation[]> = {
  users: [
    (r) => (r.id = String(r.id)),
    (r) => delete r.id,
    (r) => (r.id = -Math.abs(Number(r.id) || 1)),
    (r) => (r.last_login = '19/04/2024 11:26'),
  ],
  posts: [
    (r) => (r.id = String(r.id)),
    (r) => delete r.id,
    (r) => (r.created_at = '2024-01-10T08:00:00Z'),
    (r) => (r.tags = 'spices,cooking'),
  ],
  views: interactionMutations('viewed_at'),
  likes: interactionMutations('liked_at'),
  inspires: interactionMutations('inspired_at'),
  ratings: [
    ...interactionMutations('rated_at'),
    (r) => (r.rating_percent = 150),
    (r) => (r.rating_percent = '60'),
  ],
};

function interactionMutations(timestampField: string): Mutation[] {
  return [
    (r) => (r.user_id = String(r.user_id)),
    (r) => delete r.id,
    (r) => (r.post_id = 0),
    (r) => (r[timestampField] = '2024-13-45 25:61:00'),
    (r) => (r[timestampField] = String(r[timestampField]).replace(' ', 'T') + 'Z'),
  ];
}

/** The invalid form of a record (JSON text in, JSON text out); the same record always breaks the same way. */
export function invalidVariant(json: string, seed: number, source: SourceName, index: number): string {
  const record = JSON.parse(json) as unknown;
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return '"not a record"';
  const mutations = MUTATIONS[source];
  const mutate = mutations[hash32(seed, SALT.variant, SOURCE_SALT[source], index) % mutations.length];
  mutate?.(record as Record<string, unknown>);
  return JSON.stringify(record);
}

/**
 * How many records of the previous page to repeat at the start of this one (0 for most pages):
 * real offset-paged APIs do this when rows are inserted while a client pages. Same on every attempt.
 */
export function duplicatePrefix(
  faults: ResolvedFaults,
  seed: number,
  source: SourceName,
  page: number,
  offset: number,
): number {
  if (page < 2 || faults.duplicateRate <= 0 || !faults.sources.includes(source)) return 0;
  const s = SOURCE_SALT[source];
  if (hash01(seed, SALT.duplicate, s, page) >= faults.duplicateRate) return 0;
  return Math.min(offset, 1 + (hash32(seed, SALT.duplicate, s, page, 1) % 3));
}

/** Builds the body of a malformed page from the records it would have carried. */
export function malformedBody(kind: MalformedKind, source: SourceName, recordsJson: string): string {
  const key = SOURCES[source].bodyKey;
  switch (kind) {
    case 'truncated-json': {
      const full = `{"${key}":[${recordsJson}]}`;
      return full.slice(0, Math.max(3, Math.floor(full.length / 2)));
    }
    case 'wrong-shape':
      return `{"${key}":{"results":[${recordsJson}]}}`;
    case 'wrong-key':
      return `{"data":[${recordsJson}]}`;
  }
}
