// Warms a freshly opened snapshot before it serves: scores the default model for a sample of users
// spread over session time, so the blend's per-time-bucket caches are built and the scoring path is
// compiled before the first request instead of during the first seconds of traffic (at 1M users the
// first 6 s after ready ran at p99 200–480 ms without it); and composes their first feed page, so the
// path most requests take (a page read from the precomputed lists) is compiled too.
import { DEFAULT_MODEL } from './defaults.js';
import { rankForUser, recommendFeed } from './feed.js';
import { rowsBySessionTime } from './precomputed.js';
import type { ModelSnapshot } from './snapshot.js';

export interface WarmOptions {
  /** Users scored (default 512), evenly spaced in session-time order. */
  users?: number;
}

/**
 * Scores up to `users` users with history under the default model; returns how many. Changes no answer:
 * what it fills are caches of values every request would compute the same way.
 * @example warmSnapshot(openSnapshot(data));
 */
export function warmSnapshot(snapshot: ModelSnapshot, { users = 512 }: WarmOptions = {}): number {
  if (!snapshot.models.has(DEFAULT_MODEL) || users <= 0) return 0;
  const { userIds } = snapshot.base;
  const rows = rowsBySessionTime(snapshot.base);
  const count = Math.min(users, rows.length);
  for (let i = 0; i < count; i++) {
    const row = rows[Math.floor((i * rows.length) / count)]!;
    rankForUser(snapshot, { userId: userIds[row]!, k: 20, fallback: true });
    recommendFeed(snapshot, { userId: userIds[row]!, pageSize: 20 });
  }
  return count;
}
