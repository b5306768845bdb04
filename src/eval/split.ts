// The fixed offline-evaluation protocol: a per-user chronological hold-out of whole interaction events.
//
// An EVENT is everything one user did with one post: for MovieLens one rating (its view, like,
// inspire and rating rows, which share a timestamp); for EmpowerVerse data the view, like, inspire
// and rating rows of that (user, post) pair. An event is dated by its FIRST row (when the user met
// the post) and held out or kept whole, so a held-out post never leaks into training and is always
// a candidate in the user's ranking. Each user's events are ordered by (time, post id); users with
// at least `minEvents` events have the last ceil(20%) held out (ceil: at least a fifth, and at least
// one event for every eligible user).

import type { InteractionColumns, TrainingData } from '../recommend/types.js';
import { InteractionKind } from '../recommend/types.js';
import { FeedError } from '../shared/errors.js';

/**
 * Which held-out events count as relevant.
 * - `movielens`: the event has a rating ≥ 80 percent (4 or 5 stars);
 * - `empowerverse`: the event has a like, an inspire, or a rating ≥ 50 percent.
 */
export type PositivesRule = 'movielens' | 'empowerverse';
export const POSITIVES_RULES: readonly PositivesRule[] = ['movielens', 'empowerverse'];

export interface SplitOptions {
  /** Fraction of each eligible user's events held out, chronologically last (rounded up). */
  holdoutFraction?: number;
  /** Users with fewer events than this keep everything in training and are not tested. */
  minEvents?: number;
  /** Which held-out events are positives. */
  positives?: PositivesRule;
}

/** One tested user: what was held out and what stayed in training. */
export interface HeldOutUser {
  userId: number;
  /** Number of this user's events left in the training part. */
  trainEvents: number;
  /** Posts this user touched in the training part: excluded from the user's ranking. */
  trainPosts: ReadonlySet<number>;
  /** Held-out posts, chronological. */
  heldOut: readonly number[];
  /** Held-out posts that are positives under the rule and in the catalogue (may be empty). */
  positives: readonly number[];
}

export interface TimeSplit {
  /** The training part: every user and post, minus the held-out rows. */
  train: TrainingData;
  /** Users with at least `minEvents` events, by ascending user id. */
  heldOut: HeldOutUser[];
  /** Counts, for the report. */
  stats: { events: number; heldOutEvents: number; heldOutRows: number; trainRows: number };
}

/** True when a row makes its event a positive under `rule`. */
function rowIsPositive(rule: PositivesRule, kind: number, percent: number): boolean {
  if (kind === InteractionKind.rating) return percent >= (rule === 'movielens' ? 80 : 50);
  return rule === 'empowerverse' && (kind === InteractionKind.like || kind === InteractionKind.inspire);
}

/** Number held out of `count` events: ceil(count × fraction), guarded against float noise (0.2 × 15). */
export function holdoutCount(count: number, fraction: number): number {
  return Math.min(count, Math.ceil(count * fraction - 1e-9));
}

/** Copies the rows where `keep[i]` is 1, in their original order. */
function selectRows(source: InteractionColumns, keep: Uint8Array, count: number): InteractionColumns {
  const out: InteractionColumns = {
    length: count,
    userId: new Int32Array(count),
    postId: new Int32Array(count),
    kind: new Uint8Array(count),
    at: new Float64Array(count),
    ratingPercent: new Float32Array(count),
  };
  let j = 0;
  for (let i = 0; i < source.length; i++) {
    if (keep[i] !== 1) continue;
    out.userId[j] = source.userId[i]!;
    out.postId[j] = source.postId[i]!;
    out.kind[j] = source.kind[i]!;
    out.at[j] = source.at[i]!;
    out.ratingPercent[j] = source.ratingPercent[i]!;
    j++;
  }
  return out;
}

/**
 * Splits `data` by the protocol above. Apply it to `split.train` again for a validation split that
 * never touches the test part.
 *
 * @example const { train, heldOut } = splitByTime(data, { positives: 'movielens' });
 */
export function splitByTime(
  data: TrainingData,
  { holdoutFraction = 0.2, minEvents = 5, positives = 'empowerverse' }: SplitOptions = {},
): TimeSplit {
  if (!(holdoutFraction > 0 && holdoutFraction < 1)) {
    throw new FeedError(
      'bad_request',
      `holdoutFraction must be between 0 and 1 (exclusive), got ${holdoutFraction}`,
    );
  }
  if (!Number.isInteger(minEvents) || minEvents < 2) {
    throw new FeedError('bad_request', `minEvents must be an integer ≥ 2, got ${minEvents}`);
  }
  if (!POSITIVES_RULES.includes(positives)) {
    throw new FeedError(
      'bad_request',
      `positives must be one of ${POSITIVES_RULES.join(', ')}, got ${positives}`,
    );
  }
  const rows = data.interactions;
  const n = rows.length;

  // Rows grouped by (user, post): one group per event.
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => rows.userId[a]! - rows.userId[b]! || rows.postId[a]! - rows.postId[b]! || a - b);

  interface Event {
    post: number;
    firstAt: number;
    positive: boolean;
    start: number; // range in `order`
    end: number;
  }
  const catalogue = new Set(data.posts.map((p) => p.id));
  const heldOutMask = new Uint8Array(n);
  const heldOut: HeldOutUser[] = [];
  let events = 0;
  let heldOutEvents = 0;
  let heldOutRows = 0;

  let i = 0;
  while (i < n) {
    const user = rows.userId[order[i]!]!;
    const userEvents: Event[] = [];
    while (i < n && rows.userId[order[i]!] === user) {
      const post = rows.postId[order[i]!]!;
      const start = i;
      let firstAt = Number.POSITIVE_INFINITY;
      let positive = false;
      while (i < n && rows.userId[order[i]!] === user && rows.postId[order[i]!] === post) {
        const r = order[i]!;
        if (rows.at[r]! < firstAt) firstAt = rows.at[r]!;
        if (rowIsPositive(positives, rows.kind[r]!, rows.ratingPercent[r]!)) positive = true;
        i++;
      }
      userEvents.push({ post, firstAt, positive, start, end: i });
    }
    events += userEvents.length;
    if (userEvents.length < minEvents) continue;

    // Chronological, ties by post id: deterministic whatever the row order was.
    userEvents.sort((a, b) => a.firstAt - b.firstAt || a.post - b.post);
    const cut = userEvents.length - holdoutCount(userEvents.length, holdoutFraction);
    const trainPosts = new Set<number>();
    for (let e = 0; e < cut; e++) trainPosts.add(userEvents[e]!.post);
    const held: number[] = [];
    const pos: number[] = [];
    for (let e = cut; e < userEvents.length; e++) {
      const event = userEvents[e]!;
      held.push(event.post);
      // A positive outside the catalogue can never be recommended: it is not counted.
      if (event.positive && catalogue.has(event.post)) pos.push(event.post);
      for (let k = event.start; k < event.end; k++) heldOutMask[order[k]!] = 1;
      heldOutRows += event.end - event.start;
    }
    heldOutEvents += held.length;
    heldOut.push({ userId: user, trainEvents: cut, trainPosts, heldOut: held, positives: pos });
  }

  const keep = new Uint8Array(n);
  for (let r = 0; r < n; r++) keep[r] = heldOutMask[r] === 1 ? 0 : 1;
  const train: TrainingData = {
    users: data.users,
    posts: data.posts,
    interactions: selectRows(rows, keep, n - heldOutRows),
    ...(data.now === undefined ? {} : { now: data.now }),
  };
  return { train, heldOut, stats: { events, heldOutEvents, heldOutRows, trainRows: n - heldOutRows } };
}
