// Messages between the server's SyncRunner and the sync child process (sync-child.ts), over IPC.
import type { SourceProgress } from '../sync/progress.js';
import type { SyncReport } from '../sync/sync.js';
import type { RetryInfo, UpstreamClientOptions } from '../upstream/index.js';

/** Upstream options as they cross the process boundary: data only (no `fetch`, `onRetry` or `signal`). */
export type UpstreamSettings = Omit<UpstreamClientOptions, 'signal' | 'fetch' | 'onRetry'>;

/** Parent → child. `start` is the only message that carries the Flic token; it is never logged. */
export type ToSyncChild =
  | {
      type: 'start';
      database: string;
      schema?: string;
      upstream: UpstreamSettings;
      /** PostgreSQL with replicas: hold the cluster's `sync-run` lock while syncing (waiting for it first). */
      clusterLock?: boolean;
    }
  | { type: 'abort'; reason: string };

/** Child → parent. */
export type FromSyncChild =
  /** The child listens: the parent may send `start`. */
  | { type: 'ready' }
  | { type: 'progress-start'; source: string; info: { startPage: number; expected: number | null } }
  | { type: 'progress-update'; source: string; progress: SourceProgress }
  | { type: 'progress-finish'; source: string; progress: SourceProgress & { status: string } }
  | { type: 'retry'; info: RetryInfo }
  | { type: 'done'; report: SyncReport }
  /** runSync (or opening the store) threw; the message is redacted. */
  | { type: 'failed'; message: string };
