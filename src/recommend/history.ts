// A user's interaction history as models see it: the snapshot's row plus live events received since the
// build, one entry per post, oldest → newest. Scoring works from this list, never from a precomputed row.
import type { SnapshotBase } from './base.js';
import { decay, interactionWeight, postColOf, prototypeWeight, userRowOf } from './base.js';
import type { InteractionKindName } from './types.js';
import { InteractionKind } from './types.js';

/** An interaction the server received after the snapshot was built (`POST /events`). */
export interface LiveEvent {
  postId: number;
  kind: InteractionKindName;
  /** Epoch seconds; defaults to the newest time known (live events are the newest). */
  at?: number;
  /** 0..100, for ratings. */
  ratingPercent?: number;
}

export interface UserHistory {
  /** The user's row in the snapshot, or −1 for a user it does not know. */
  readonly userRow: number;
  readonly length: number;
  /** Post columns, oldest → newest by latest interaction. */
  readonly cols: Int32Array;
  /** Configured interaction weights with decay, per entry. */
  readonly weights: Float32Array;
  /** The prototype's weights, per entry. */
  readonly protoWeights: Float32Array;
  /** Epoch seconds of the latest interaction, per entry. */
  readonly lastAt: Float64Array;
  /** The user's session time: their latest interaction, or the snapshot time when they have none. */
  readonly time: number;
}

/**
 * The history of `userId` (undefined or unknown: empty) merged with `live` events. Without live events
 * the arrays are views into the snapshot (no copy).
 *
 * @example userHistory(base, 42, [{ postId: 7, kind: 'like' }]).cols // …, column of post 7 last
 */
export function userHistory(
  base: SnapshotBase,
  userId: number | undefined,
  live: readonly LiveEvent[] = [],
): UserHistory {
  const row = userId === undefined ? -1 : userRowOf(base, userId);
  const ui = base.userItems;
  const start = row >= 0 ? ui.indptr[row]! : 0;
  const end = row >= 0 ? ui.indptr[row + 1]! : 0;
  const snapCols = ui.indices.subarray(start, end);
  const snapW = ui.values.subarray(start, end);
  const snapP = ui.proto.subarray(start, end);
  const snapT = ui.lastAt.subarray(start, end);
  const liveCols: number[] = [];
  const knownLive = live.filter((e) => {
    const col = postColOf(base, e.postId);
    if (col >= 0) liveCols.push(col);
    return col >= 0;
  });
  if (knownLive.length === 0) {
    const time = end > start ? snapT[snapT.length - 1]! : base.now;
    return {
      userRow: row,
      length: end - start,
      cols: snapCols,
      weights: snapW,
      protoWeights: snapP,
      lastAt: snapT,
      time,
    };
  }

  interface Entry {
    col: number;
    w: number;
    p: number;
    t: number;
    seq: number;
  }
  const entries: Entry[] = [];
  const byCol = new Map<number, Entry>();
  for (let k = 0; k < snapCols.length; k++) {
    const e = { col: snapCols[k]!, w: snapW[k]!, p: snapP[k]!, t: snapT[k]!, seq: k };
    entries.push(e);
    byCol.set(e.col, e);
  }
  let newest = Math.max(base.now, end > start ? snapT[snapT.length - 1]! : Number.NEGATIVE_INFINITY);
  let seq = entries.length;
  for (const [i, event] of knownLive.entries()) {
    const col = liveCols[i]!;
    const code = InteractionKind[event.kind];
    const at = event.at ?? newest;
    newest = Math.max(newest, at);
    const pct = event.ratingPercent ?? Number.NaN;
    let e = byCol.get(col);
    if (!e) {
      e = { col, w: 0, p: 0, t: at, seq };
      entries.push(e);
      byCol.set(col, e);
    }
    e.w += interactionWeight(base.weights, code, pct) * decay(base.now - at, base.halfLifeDays);
    e.p += prototypeWeight(code, pct);
    if (at >= e.t) {
      e.t = at;
      e.seq = seq; // a repeat interaction moves the post to the newest end
    }
    seq++;
  }
  entries.sort((a, b) => a.t - b.t || a.seq - b.seq);
  const len = entries.length;
  const cols = new Int32Array(len);
  const weights = new Float32Array(len);
  const protoWeights = new Float32Array(len);
  const lastAt = new Float64Array(len);
  entries.forEach((e, k) => {
    cols[k] = e.col;
    weights[k] = e.w;
    protoWeights[k] = e.p;
    lastAt[k] = e.t;
  });
  return { userRow: row, length: len, cols, weights, protoWeights, lastAt, time: lastAt[len - 1]! };
}

/**
 * Weight of history entry `index` by its distance d from the newest entry:
 * floor + (1 − floor) · 2^(−d/halfLifeSteps). The newest entry weighs 1; `floor` keeps long-term taste.
 */
export function recencyWeight(length: number, index: number, halfLifeSteps: number, floor = 0): number {
  if (halfLifeSteps === Number.POSITIVE_INFINITY) return 1;
  return floor + (1 - floor) * 2 ** (-(length - 1 - index) / halfLifeSteps);
}
