// The shared core of a model snapshot: dense id ↔ index lookups, the weighted user × post matrix (both
// orientations) and per-post metadata, all plain data on typed arrays (so it can be stored and shared
// between threads), built in time and memory linear in the data.
import type { Csr } from './csr.js';
import { transpose } from './csr.js';
import type { InteractionWeights } from './defaults.js';
import type { TrainingData } from './types.js';
import { InteractionKind } from './types.js';

const DAY = 86_400;

/** User → posts with two weightings and the time of the latest interaction per (user, post). */
export interface UserItems extends Csr {
  /** The prototype's weights (like 1, view 0.5, inspire 1.5, rating > 50 % adds rating/100), no decay. */
  readonly proto: Float32Array;
  /** Epoch seconds of the latest interaction with the post. */
  readonly lastAt: Float64Array;
}

/** Post → users (the transpose); `origin[k]` is entry k's position in `UserItems` arrays. */
export interface ItemUsers extends Csr {
  readonly proto: Float32Array;
  readonly origin: Int32Array;
}

export interface SnapshotBase {
  /** Reference time (epoch seconds) for every decay. */
  readonly now: number;
  readonly nUsers: number;
  readonly nPosts: number;
  /** Row → platform user id, ascending. */
  readonly userIds: Int32Array;
  /** Column → platform post id, ascending: ties broken by column are ties broken by post id. */
  readonly postIds: Int32Array;
  /**
   * Rows ordered oldest → newest by latest interaction (ties by column): a user's history in time order.
   * `values` hold the configured interaction weights with recency decay.
   */
  readonly userItems: UserItems;
  readonly itemUsers: ItemUsers;
  /** Category index per column, −1 when none. */
  readonly postCategory: Int32Array;
  /** Creator index per column, −1 when unknown. */
  readonly postCreator: Int32Array;
  /** Creation time per column in epoch seconds, NaN when unknown. */
  readonly postCreatedAt: Float64Array;
  /** Display name per category index (first spelling seen). */
  readonly categoryNames: readonly string[];
  /** Lower-cased category names and topic project_codes, sorted; `filterColumns` finds their posts. */
  readonly filterKeys: readonly string[];
  /** Posts of filterKeys[i]: filterCols[filterIndptr[i]..filterIndptr[i+1]), columns ascending. */
  readonly filterIndptr: Int32Array;
  readonly filterCols: Int32Array;
  readonly weights: Readonly<InteractionWeights>;
  readonly halfLifeDays: number;
}

/** Index of `value` in the ascending `sorted`, or −1. */
export function indexIn(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The snapshot row of a platform user id, or −1 (binary search: no per-thread map to build). */
export function userRowOf(base: SnapshotBase, userId: number): number {
  return indexIn(base.userIds, userId);
}

/** The snapshot column of a platform post id, or −1. */
export function postColOf(base: SnapshotBase, postId: number): number {
  return indexIn(base.postIds, postId);
}

/** Columns (ascending) of the posts whose category name or topic project_code is `key`, or null. */
export function filterColumns(base: SnapshotBase, key: string): Int32Array | null {
  const k = key.trim().toLowerCase();
  let lo = 0;
  let hi = base.filterKeys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = base.filterKeys[mid]!;
    if (v === k) return base.filterCols.subarray(base.filterIndptr[mid]!, base.filterIndptr[mid + 1]!);
    if (v < k) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}

/** What model fitters get: the base plus each raw interaction's row and column (−1 when dropped). */
export interface BuildContext {
  readonly base: SnapshotBase;
  readonly data: TrainingData;
  /** Platform post id → column, for fitters that walk `data.posts`. */
  readonly postColOf: ReadonlyMap<number, number>;
  readonly eventRow: Int32Array;
  readonly eventCol: Int32Array;
}

/** Counts describing what went into the base. */
export interface BaseStats {
  users: number;
  posts: number;
  interactions: number;
  droppedUnknownPost: number;
  pairs: number;
}

/** Weight of one interaction under `weights` (before decay); NaN rating_percent counts as 0. */
export function interactionWeight(weights: InteractionWeights, kind: number, ratingPercent: number): number {
  switch (kind) {
    case InteractionKind.view:
      return weights.view;
    case InteractionKind.like:
      return weights.like;
    case InteractionKind.inspire:
      return weights.inspire;
    default:
      return Number.isNaN(ratingPercent) ? 0 : (weights.rating * ratingPercent) / 100;
  }
}

/** The prototype's weight of one interaction: like 1, view 0.5, inspire 1.5, rating > 50 % adds rating/100. */
export function prototypeWeight(kind: number, ratingPercent: number): number {
  switch (kind) {
    case InteractionKind.view:
      return 0.5;
    case InteractionKind.like:
      return 1;
    case InteractionKind.inspire:
      return 1.5;
    default:
      return ratingPercent > 50 ? ratingPercent / 100 : 0;
  }
}

/** Decay factor 2^(−age/halfLife) for an event `ageSeconds` old; future events count 1. */
export function decay(ageSeconds: number, halfLifeDays: number): number {
  if (!(ageSeconds > 0) || halfLifeDays === Number.POSITIVE_INFINITY) return 1;
  return 2 ** (-ageSeconds / (halfLifeDays * DAY));
}

function sortedUnique(values: Iterable<number>): Int32Array {
  const arr = Int32Array.from(new Set(values)).sort();
  return arr;
}

/**
 * Builds the snapshot core from training data. Interactions naming a post outside the catalogue are
 * dropped (nothing could be recommended from them); users named only by interactions get rows.
 */
export function buildBase(
  data: TrainingData,
  weights: Readonly<InteractionWeights>,
  halfLifeDays: number,
  nowOverride?: number,
): { ctx: BuildContext; stats: BaseStats } {
  const ev = data.interactions;
  const n = ev.length;
  let maxAt = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (ev.at[i]! > maxAt) maxAt = ev.at[i]!;
  const now = nowOverride ?? data.now ?? (n > 0 ? maxAt : 0);

  // Id maps. Posts are ordered by id so that column order is post-id order.
  const userSet = new Set<number>(data.users);
  for (let i = 0; i < n; i++) userSet.add(ev.userId[i]!);
  const userIds = sortedUnique(userSet);
  const postIds = sortedUnique(data.posts.map((p) => p.id));
  const userRowOf = new Map<number, number>();
  for (let r = 0; r < userIds.length; r++) userRowOf.set(userIds[r]!, r);
  const postColOf = new Map<number, number>();
  for (let c = 0; c < postIds.length; c++) postColOf.set(postIds[c]!, c);
  const nUsers = userIds.length;
  const nPosts = postIds.length;

  // Per-post metadata.
  const postCategory = new Int32Array(nPosts).fill(-1);
  const postCreator = new Int32Array(nPosts).fill(-1);
  const postCreatedAt = new Float64Array(nPosts).fill(Number.NaN);
  const categoryIndex = new Map<string, number>();
  const categoryNames: string[] = [];
  const creatorIndex = new Map<string, number>();
  const filterLists = new Map<string, Set<number>>();
  const addFilter = (key: string | null, col: number) => {
    if (!key) return;
    const k = key.trim().toLowerCase();
    if (!k) return;
    let set = filterLists.get(k);
    if (!set) filterLists.set(k, (set = new Set()));
    set.add(col);
  };
  for (const post of data.posts) {
    const col = postColOf.get(post.id)!;
    if (post.category?.trim()) {
      const key = post.category.trim().toLowerCase();
      let idx = categoryIndex.get(key);
      if (idx === undefined) {
        idx = categoryNames.length;
        categoryIndex.set(key, idx);
        categoryNames.push(post.category.trim());
      }
      postCategory[col] = idx;
    }
    if (post.creator) {
      let idx = creatorIndex.get(post.creator);
      if (idx === undefined) creatorIndex.set(post.creator, (idx = creatorIndex.size));
      postCreator[col] = idx;
    }
    if (post.createdAt !== null && Number.isFinite(post.createdAt))
      postCreatedAt[col] = post.createdAt / 1000;
    addFilter(post.category, col);
    addFilter(post.projectCode, col);
  }
  const filterKeys = [...filterLists.keys()].sort();
  const filterIndptr = new Int32Array(filterKeys.length + 1);
  const filterParts = filterKeys.map((k) => sortedUnique(filterLists.get(k)!));
  filterParts.forEach((cols, i) => {
    filterIndptr[i + 1] = filterIndptr[i]! + cols.length;
  });
  const filterCols = new Int32Array(filterIndptr[filterKeys.length]!);
  filterParts.forEach((cols, i) => {
    filterCols.set(cols, filterIndptr[i]!);
  });

  // Map events; counting sort by user row.
  const eventRow = new Int32Array(n);
  const eventCol = new Int32Array(n);
  const perUser = new Int32Array(nUsers + 1);
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    const col = postColOf.get(ev.postId[i]!);
    eventRow[i] = userRowOf.get(ev.userId[i]!)!;
    if (col === undefined) {
      eventCol[i] = -1;
      dropped++;
      continue;
    }
    eventCol[i] = col;
    perUser[eventRow[i]! + 1]!++;
  }
  for (let r = 0; r < nUsers; r++) perUser[r + 1]! += perUser[r]!;
  const byUser = new Int32Array(perUser[nUsers]!);
  const fill = perUser.slice(0, nUsers);
  for (let i = 0; i < n; i++) if (eventCol[i]! >= 0) byUser[fill[eventRow[i]!]!++] = i;

  // Aggregate each user's events per post.
  const cap = byUser.length;
  const indptr = new Int32Array(nUsers + 1);
  let indices = new Int32Array(cap);
  let values = new Float32Array(cap);
  let proto = new Float32Array(cap);
  let lastAt = new Float64Array(cap);
  const accW = new Float64Array(nPosts);
  const accP = new Float64Array(nPosts);
  const accT = new Float64Array(nPosts);
  const stamp = new Int32Array(nPosts).fill(-1);
  const touched: number[] = [];
  let nnz = 0;
  for (let r = 0; r < nUsers; r++) {
    touched.length = 0;
    for (let k = perUser[r]!; k < perUser[r + 1]!; k++) {
      const i = byUser[k]!;
      const c = eventCol[i]!;
      if (stamp[c] !== r) {
        stamp[c] = r;
        accW[c] = 0;
        accP[c] = 0;
        accT[c] = Number.NEGATIVE_INFINITY;
        touched.push(c);
      }
      const at = ev.at[i]!;
      const kind = ev.kind[i]!;
      const pct = ev.ratingPercent[i]!;
      accW[c]! += interactionWeight(weights, kind, pct) * decay(now - at, halfLifeDays);
      accP[c]! += prototypeWeight(kind, pct);
      if (at > accT[c]!) accT[c] = at;
    }
    touched.sort((a, b) => accT[a]! - accT[b]! || a - b);
    for (const c of touched) {
      indices[nnz] = c;
      values[nnz] = accW[c]!;
      proto[nnz] = accP[c]!;
      lastAt[nnz] = accT[c]!;
      nnz++;
    }
    indptr[r + 1] = nnz;
  }
  indices = indices.slice(0, nnz);
  values = values.slice(0, nnz);
  proto = proto.slice(0, nnz);
  lastAt = lastAt.slice(0, nnz);

  const userItems: UserItems = { rows: nUsers, cols: nPosts, indptr, indices, values, proto, lastAt };
  const t = transpose(userItems, true);
  const origin = t.origin!;
  const itemProto = new Float32Array(nnz);
  for (let k = 0; k < nnz; k++) itemProto[k] = proto[origin[k]!]!;
  const itemUsers: ItemUsers = {
    rows: t.rows,
    cols: t.cols,
    indptr: t.indptr,
    indices: t.indices,
    values: t.values,
    proto: itemProto,
    origin,
  };

  const base: SnapshotBase = {
    now,
    nUsers,
    nPosts,
    userIds,
    postIds,
    userItems,
    itemUsers,
    postCategory,
    postCreator,
    postCreatedAt,
    categoryNames,
    filterKeys,
    filterIndptr,
    filterCols,
    weights: { ...weights },
    halfLifeDays,
  };
  return {
    ctx: { base, data, postColOf, eventRow, eventCol },
    stats: {
      users: nUsers,
      posts: nPosts,
      interactions: n - dropped,
      droppedUnknownPost: dropped,
      pairs: nnz,
    },
  };
}
