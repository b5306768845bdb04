// What the route handlers share: the store, the model in force and the per-snapshot caches around it.
import type { ModelName } from '../recommend/index.js';
import type { Store } from '../store/types.js';
import type { EventFollower } from './event-follower.js';
import type { Experiments } from './experiments.js';
import type { ImpressionLog } from './impressions.js';
import type { LiveEvents } from './live-events.js';
import type { ServerMetrics } from './metrics.js';
import type { ModelHolder } from './model-holder.js';
import type { PostCache } from './post-cache.js';
import type { SyncRunner } from './sync-runner.js';
import type { UserDirectory } from './user-directory.js';

export interface ServerContext {
  readonly store: Store;
  readonly model: ModelHolder;
  readonly metrics: ServerMetrics;
  readonly liveEvents: LiveEvents;
  /** Reads the events other processes store into `liveEvents`. */
  readonly eventFollower: EventFollower;
  readonly users: UserDirectory;
  readonly sync: SyncRunner;
  /** The A/B experiments in force (none: an empty list). */
  readonly experiments: Experiments;
  /** Served pages (recomm_id) and the events attributed to them. */
  readonly impressions: ImpressionLog;
  /** The rendered-post cache of the snapshot in force. */
  posts(): PostCache;
  /** The first snapshot's posts are rendered (part of readiness). */
  postsWarm(): boolean;
  /** The model a feed request that names none uses. */
  readonly defaultModel: ModelName;
  /** When set, the platform data routes that need a `Flic-Token` upstream need it here too. */
  readonly dataToken: string | undefined;
  /** Process start, epoch ms. */
  readonly startedAt: number;
}
