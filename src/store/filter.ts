// Validates a query filter once, into the values the SQL compares (timestamps as upstream text or epoch ms).
import { FeedError } from '../shared/errors.js';
import { UpstreamTimestamp } from '../upstream/schemas.js';

/**
 * Narrows a query. `since` is inclusive and `until` exclusive, on the interaction's timestamp (a `Date`
 * or `"YYYY-MM-DD HH:MM:SS"` UTC); `afterId` continues after that id (rows come ordered by id); `offset`
 * skips that many matching rows (for page/page_size paging; `afterId` is the cheap way on big tables);
 * `limit` caps the rows returned.
 */
export interface QueryFilter {
  userId?: number;
  postId?: number;
  since?: Date | string;
  until?: Date | string;
  limit?: number;
  offset?: number;
  afterId?: number;
}

export type FilterField = keyof QueryFilter;

/** A checked filter: times as `"YYYY-MM-DD HH:MM:SS"` text (interactions) or epoch ms (posts). */
export interface CheckedFilter<Time extends string | number = string | number> {
  userId?: number;
  postId?: number;
  since?: Time;
  until?: Time;
  limit?: number;
  offset?: number;
  afterId?: number;
}

const FIELDS: readonly FilterField[] = ['userId', 'postId', 'since', 'until', 'limit', 'offset', 'afterId'];

const bad = (message: string) => new FeedError('bad_request', message);

function positiveInteger(name: string, value: unknown, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw bad(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A filter time as upstream text; a Date is rounded up to a whole second (stored times have none). */
function timeToText(name: string, value: unknown): string {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw bad(`${name} is an invalid Date`);
    return formatUpstreamTime(Math.ceil(ms / 1000) * 1000);
  }
  if (typeof value === 'string' && UpstreamTimestamp.safeParse(value).success) return value;
  throw bad(`${name} must be a Date or "YYYY-MM-DD HH:MM:SS" (UTC), got ${JSON.stringify(value)}`);
}

/** `"YYYY-MM-DD HH:MM:SS"` of epoch ms (UTC). */
export function formatUpstreamTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Checks `filter` for a query named `what` that accepts `accepted` fields; times come back as upstream
 * text (`time: 'text'`) or epoch ms (`time: 'ms'`). Throws FeedError 'bad_request' naming the field.
 */
export function checkFilter<T extends 'text' | 'ms'>(
  what: string,
  filter: QueryFilter | undefined,
  accepted: readonly FilterField[],
  time: T,
): CheckedFilter<T extends 'text' ? string : number> {
  type Out = CheckedFilter<T extends 'text' ? string : number>;
  if (filter === undefined || filter === null) return {};
  if (typeof filter !== 'object') throw bad(`${what}: filter must be an object, got ${typeof filter}`);
  const out: CheckedFilter = {};
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (!(FIELDS as readonly string[]).includes(key) || !accepted.includes(key as FilterField)) {
      throw bad(`${what} does not take filter field "${key}"; accepted: ${accepted.join(', ')}`);
    }
  }
  if (filter.userId !== undefined) out.userId = positiveInteger('userId', filter.userId);
  if (filter.postId !== undefined) out.postId = positiveInteger('postId', filter.postId);
  if (filter.limit !== undefined) out.limit = positiveInteger('limit', filter.limit);
  if (filter.offset !== undefined) out.offset = positiveInteger('offset', filter.offset, true);
  if (filter.afterId !== undefined) out.afterId = positiveInteger('afterId', filter.afterId, true);
  const since = filter.since === undefined ? undefined : timeToText('since', filter.since);
  const until = filter.until === undefined ? undefined : timeToText('until', filter.until);
  // Fixed-width text: lexicographic order is chronological order.
  if (since !== undefined && until !== undefined && since > until) {
    throw bad(`since (${since}) must not be after until (${until})`);
  }
  if (since !== undefined) out.since = time === 'text' ? since : upstreamTimeToMs(since);
  if (until !== undefined) out.until = time === 'text' ? until : upstreamTimeToMs(until);
  return out as Out;
}

/** Epoch ms of `"YYYY-MM-DD HH:MM:SS"` (UTC). */
export function upstreamTimeToMs(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}

/** Checks a stream's batch size. */
export function checkBatchSize(batchSize: unknown): number {
  return positiveInteger('batchSize', batchSize);
}
