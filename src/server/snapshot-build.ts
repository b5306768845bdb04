// Builds a snapshot artifact from a store and saves it there: what `empowerverse build` and the serving
// process's build child run. Also says which data a snapshot covers (its data key), so a restart can
// reuse a stored snapshot instead of rebuilding.
import {
  ARTIFACT_FORMAT_VERSION,
  type BuildOptions,
  encodeSnapshot,
  fitSnapshot,
  PRECOMPUTED_RANKING_DEPTH,
  PRECOMPUTED_RANKING_USERS,
  resolveBuildOptions,
  type SnapshotData,
  withPrecomputedRankings,
} from '../recommend/index.js';
import { committedFeedEventWatermark } from '../store/feed-events.js';
import { saveSnapshotArtifact } from '../store/snapshots.js';
import { loadTrainingDataFromStore } from '../store/training-data.js';
import { latestTunedConfig, type TunedConfigRecord } from '../store/tuned-configs.js';
import type { Store } from '../store/types.js';
import { SOURCE_NAMES } from '../upstream/sources.js';

/** What a stored snapshot's header says about it. */
export interface SnapshotMeta {
  /** Identifies the data and options it was built from: equal keys mean a stored snapshot can serve. */
  dataKey: string;
  /** Where sync stood per source when the build read its data. */
  syncWatermark: Record<string, string>;
  /** FeedEvent rows with an id up to this one are inside the snapshot. */
  feedEventWatermark: number;
  builtAt: string;
  loadSeconds: number;
  buildSeconds: number;
  users: number;
  posts: number;
  interactions: number;
  pairs: number;
  models: string[];
  notes: string[];
  /** The stored tuning the build used (`empowerverse tune`), or null: the engine's defaults. */
  tuned?: TunedInForce | null;
}

/** Which stored tuning a build used: its id, when it was stored, and its validation NDCG@20. */
export interface TunedInForce {
  id: number;
  createdAt: string;
  baselineNdcg20: number;
  tunedNdcg20: number;
}

/**
 * Which configuration a snapshot was built with, in one line: a stored tuning (`empowerverse tune`) or
 * the defaults. One formatter for `empowerverse build`, /ready and the dashboard, so they read alike.
 */
export function configurationLine(tuned: TunedInForce | null): string {
  return tuned === null
    ? 'defaults (no stored tuning)'
    : `tuned #${tuned.id} of ${tuned.createdAt} (validation NDCG@20 ${tuned.baselineNdcg20.toFixed(4)} → ${tuned.tunedNdcg20.toFixed(4)})`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` merged onto `under`, plain objects key by key (arrays and other values replace). */
function mergeOptions(
  under: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...under };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const base = out[k];
    out[k] = isPlainObject(base) && isPlainObject(v) ? mergeOptions(base, v) : v;
  }
  return out;
}

/** The build options in force: the latest stored tuning under the explicit `build` options. */
export interface BuildInForce {
  build: BuildOptions;
  tuned: TunedInForce | null;
}

/** `build` over a stored tuning (null: `build` alone, the defaults under it). */
export function withTuning(build: BuildOptions, tuned: TunedConfigRecord | null): BuildInForce {
  if (tuned === null) return { build, tuned: null };
  return {
    build: mergeOptions(
      tuned.options as Record<string, unknown>,
      build as Record<string, unknown>,
    ) as BuildOptions,
    tuned: {
      id: tuned.id,
      createdAt: tuned.createdAt,
      baselineNdcg20: tuned.baseline.ndcg20,
      tunedNdcg20: tuned.tuned.ndcg20,
    },
  };
}

/** The options a build from `store` uses now: its latest stored tuning under `build`. */
export async function buildInForce(store: Store, build: BuildOptions = {}): Promise<BuildInForce> {
  return withTuning(build, await latestTunedConfig(store.db));
}

/** Where every source's sync stands: its status, last completed pass and checkpoint. */
export async function syncWatermark(store: Store): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const source of [...SOURCE_NAMES, 'summaries'] as const) {
    const s = await store.getSyncState(source);
    out[source] =
      s === null
        ? 'never'
        : `${s.status}@${s.lastSyncedAt ?? '-'}#${s.status === 'running' ? s.nextPage : 0}`;
  }
  return out;
}

const stableJson = (value: unknown) =>
  JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

/**
 * The data key of the store's current data under `build` options: a stored snapshot whose key equals it
 * was built from the same synced data, options and artifact format.
 */
export async function currentDataKey(store: Store, build: BuildOptions = {}): Promise<string> {
  return dataKeyOf(await syncWatermark(store), await buildInForce(store, build));
}

/**
 * The data key of a sync watermark under `build` options, or under the options in force (a stored
 * tuning's id is part of the key, so a new tuning makes the next build or start rebuild).
 */
export function dataKeyOf(
  watermark: Record<string, string>,
  build: BuildOptions | BuildInForce = {},
): string {
  const inForce = 'build' in build && 'tuned' in build ? (build as BuildInForce) : null;
  const { now: _now, ...options } = resolveBuildOptions(inForce ? inForce.build : (build as BuildOptions));
  return stableJson({
    format: ARTIFACT_FORMAT_VERSION,
    watermark,
    options,
    rankingDepth: PRECOMPUTED_RANKING_DEPTH,
    rankingUsers: PRECOMPUTED_RANKING_USERS,
    // Absent without a tuning, so the keys of snapshots stored before tuning existed still match.
    ...(inForce?.tuned ? { tuned: inForce.tuned.id } : {}),
  });
}

/**
 * Whether a stored snapshot's data key was made with `build` options and this artifact format, whatever
 * data it covers: such a snapshot can serve (older data) until one of the current data is stored.
 */
export function sameBuildAs(dataKey: unknown, build: BuildOptions | BuildInForce = {}): boolean {
  if (typeof dataKey !== 'string') return false;
  try {
    const { watermark: _w, ...rest } = JSON.parse(dataKey) as Record<string, unknown>;
    const { watermark: _ours, ...ours } = JSON.parse(dataKeyOf({}, build)) as Record<string, unknown>;
    return stableJson(rest) === stableJson(ours);
  } catch {
    return false;
  }
}

export interface BuildArtifactOptions {
  build?: BuildOptions;
  /** Stored snapshots kept (older ones pruned). */
  keep?: number;
  /** Progress of each step (`load`, `base`, each model, `encode`, `store`). */
  onStep?: (step: string, index: number, steps: number) => void;
}

export interface BuiltArtifact {
  id: number;
  meta: SnapshotMeta;
  byteSize: number;
  checksum: string;
}

/**
 * Reads the store's training data and fits a snapshot; returns it with the metadata an artifact carries.
 * @example const { fitted, meta } = await fitFromStore(store, { models: ['popular', 'ease'] });
 */
export async function fitFromStore(
  store: Store,
  build: BuildOptions = {},
  onStep?: (step: string, index: number, steps: number) => void,
): Promise<{ fitted: SnapshotData; meta: SnapshotMeta }> {
  const started = performance.now();
  onStep?.('load', 0, 1);
  // Watermarks first: what a sync or POST /events writes meanwhile is for the next build. The FeedEvent
  // one is the highest id below which every event is committed (see committedFeedEventWatermark).
  const watermark = await syncWatermark(store);
  const feedEventWatermark = await committedFeedEventWatermark(store);
  const inForce = await buildInForce(store, build);
  const data = await loadTrainingDataFromStore(store, { feedEventsUpToId: feedEventWatermark });
  const loadSeconds = (performance.now() - started) / 1000;
  const fitStarted = performance.now();
  const fit = fitSnapshot(data, inForce.build, { ...(onStep ? { onStep } : {}) });
  // Served snapshots carry the recently active users' ranked lists, so most feeds are not scored.
  onStep?.('rankings', 0, 1);
  const fitted = withPrecomputedRankings(fit, {
    depth: PRECOMPUTED_RANKING_DEPTH,
    maxUsers: PRECOMPUTED_RANKING_USERS,
  });
  const { stats } = fitted;
  const meta: SnapshotMeta = {
    dataKey: dataKeyOf(watermark, inForce),
    syncWatermark: watermark,
    feedEventWatermark,
    builtAt: new Date().toISOString(),
    loadSeconds,
    buildSeconds: (performance.now() - fitStarted) / 1000,
    users: stats.users,
    posts: stats.posts,
    interactions: stats.interactions,
    pairs: stats.pairs,
    models: [...fitted.options.models],
    notes: stats.notes,
    tuned: inForce.tuned,
  };
  return { fitted, meta };
}

/**
 * Reads the store's training data, fits a snapshot, and saves it as an artifact in the store.
 * @example const { id, byteSize } = await buildAndStoreSnapshot(store);
 */
export async function buildAndStoreSnapshot(
  store: Store,
  { build = {}, keep = 3, onStep }: BuildArtifactOptions = {},
): Promise<BuiltArtifact> {
  const { fitted, meta } = await fitFromStore(store, build, onStep);
  onStep?.('encode', 0, 1);
  const { bytes, checksum } = encodeSnapshot(fitted, meta);
  onStep?.('store', 0, 1);
  const saved = await saveSnapshotArtifact(
    store,
    {
      formatVersion: ARTIFACT_FORMAT_VERSION,
      checksum,
      header: meta as unknown as Record<string, unknown>,
      bytes,
    },
    { keep },
  );
  return { id: saved.id, meta, byteSize: bytes.length, checksum };
}
