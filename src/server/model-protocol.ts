// The messages between the server and its model threads and processes: serving workers
// (model-worker.ts) and the build child (build-child.ts).
import type {
  BuildOptions,
  DiscoveryRequest,
  DiscoveryResult,
  FeedRequest,
  FeedResult,
} from '../recommend/index.js';
import type { ErrorCode } from '../shared/errors.js';
import type { SnapshotMeta, TunedInForce } from './snapshot-build.js';

/** What a snapshot in force holds, for /ready, /metrics and logs. */
export interface ModelInfo {
  /** Serving generation: 1 for the first snapshot this process served, +1 per swap. */
  generation: number;
  /** Id of the stored artifact (null for one built in memory, not stored). */
  snapshotId: number | null;
  /** ISO time the snapshot was built. */
  builtAt: string;
  /** ISO time this process started serving it. */
  servingSince: string;
  /** `stored`: an artifact found in the database was reused; `built`: built for this process. */
  origin: 'stored' | 'built';
  loadSeconds: number;
  buildSeconds: number;
  /** Seconds from asking for the artifact to every worker serving it. */
  installSeconds: number;
  byteSize: number;
  checksum: string;
  users: number;
  posts: number;
  interactions: number;
  /** Distinct (user, post) pairs. */
  pairs: number;
  /** FeedEvent rows with an id up to this one are inside the snapshot. */
  feedEventWatermark: number;
  /** Where sync stood per source when the build read its data. */
  syncWatermark: Record<string, string>;
  models: string[];
  notes: string[];
  /** The stored tuning the snapshot was built with, or null: the engine's defaults. */
  tuned: TunedInForce | null;
}

export type ToServingWorker =
  | { type: 'install'; generation: number; bytes: Uint8Array }
  | { type: 'drop'; generation: number }
  | { type: 'feed'; id: number; generation: number; request: FeedRequest }
  | { type: 'discover'; id: number; generation: number; request: DiscoveryRequest };

export type FromServingWorker =
  /** `shared`: the worker reads the server's SharedArrayBuffer itself (one copy for all workers). */
  | { type: 'installed'; generation: number; shared: boolean; byteLength: number }
  | { type: 'install-failed'; generation: number; message: string }
  /**
   * A dropped generation after a full collection of the thread's heap: `released` when the thread no
   * longer references its SharedArrayBuffer (its memory goes once every thread has let go).
   */
  | { type: 'dropped'; generation: number; released: boolean; gcMs: number }
  | { type: 'feed'; id: number; ok: true; result: FeedResult }
  | { type: 'feed'; id: number; ok: false; code: ErrorCode; message: string }
  | { type: 'discover'; id: number; ok: true; result: DiscoveryResult }
  | { type: 'discover'; id: number; ok: false; code: ErrorCode; message: string };

/** The build child's one request (over IPC). */
export interface BuildRequest {
  type: 'build';
  database: string;
  schema?: string;
  build: BuildOptions;
  keep: number;
  /**
   * PostgreSQL with replicas: hold the cluster's `build-run` lock while building, waiting first for any
   * build process still at work (one whose serving process died leaves it running until it notices).
   */
  clusterLock?: boolean;
}

export type FromBuildChild =
  | { type: 'step'; step: string; index: number; steps: number }
  | { type: 'built'; id: number; byteSize: number; meta: SnapshotMeta }
  | { type: 'failed'; message: string };

export type { SnapshotMeta };
