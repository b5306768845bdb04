// What the dashboard's routes share: the server's context plus the dashboard's own parts.
import type { ServerContext } from '../context.js';
import type { DashboardAuth } from './auth.js';
import type { VersionedCache } from './data-version.js';
import type { CatalogueFigures } from './figures.js';
import type { RequestStats } from './request-stats.js';

export interface DashboardContext {
  readonly server: ServerContext;
  readonly auth: DashboardAuth;
  readonly requests: RequestStats;
  /** Catalogue-wide figures, computed once per change of the stored data. */
  readonly cache: VersionedCache;
  /** Computes those figures off the serving event loop. */
  readonly figures: CatalogueFigures;
}
