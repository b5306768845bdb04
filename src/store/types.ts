// The storage contract: what sync, the query API, the model build and the server need from a
// database, whichever backend (SQLite or PostgreSQL) sits behind it.
import type { SourceName, SourceRecords } from '../upstream/sources.js';

export type Dialect = 'sqlite' | 'postgres';

/** Where sync stands for one source: resumable page checkpoint plus the last complete run. */
export interface SyncState {
  source: SourceName | 'summaries';
  /** 'running' while a pass is under way (resume from `nextPage`), 'complete' after its empty page. */
  status: 'running' | 'complete';
  /** First page not yet written by the running pass (1-based). */
  nextPage: number;
  /** Page size the running pass uses; a resume with another page size restarts at page 1. */
  pageSize: number;
  /** ISO time the running (or last) pass started. */
  startedAt: string | null;
  /** ISO time the last pass completed, or null if none has. */
  lastSyncedAt: string | null;
  /** Records written by the last completed pass. */
  lastRecordCount: number | null;
}

/** Result of writing one page (or batch) of records. */
export interface WriteResult {
  /** Rows inserted or whose content changed. */
  changed: number;
  /** Records whose row already held exactly this content. */
  unchanged: number;
}

/** Row counts per table plus interactions that name a user or post not stored. */
export interface StoreStats {
  tables: Record<TableName, number>;
  orphans: {
    views: { unknownUser: number; unknownPost: number };
    likes: { unknownUser: number; unknownPost: number };
    inspires: { unknownUser: number; unknownPost: number };
    ratings: { unknownUser: number; unknownPost: number };
  };
  sync: SyncState[];
}

export const TABLE_NAMES = [
  'User',
  'Post',
  'PostView',
  'PostLike',
  'PostInspire',
  'PostRating',
  'PostSummary',
] as const;
export type TableName = (typeof TABLE_NAMES)[number];

/** The flattened, text-ready view of a post used for content similarity (api-contract.md). */
export interface PostSummaryRow {
  post_id: number;
  summary: string;
  keywords: string[];
  category: string | null;
  username: string | null;
  upvote_count: number;
  view_count: number;
  average_rating: number;
  no_of_person_in_video: number | null;
  estimated_duration: string | null;
  main_character_gender: string | null;
}

/** A checkpoint written in the same transaction as the page it follows. */
export interface PageCheckpoint {
  /** The page just written; the checkpoint moves to `page + 1`. */
  page: number;
  pageSize: number;
}

/**
 * One open database. Implementations: `sqlite/` (default, a file such as `data.db`, WAL mode) and
 * `postgres/`. Query functions (queries.ts) take the `db` query builder and work on both.
 */
export interface Store {
  readonly dialect: Dialect;
  /** Kysely query builder over the seven tables (and sync_state); typed by `Database` in schema.ts. */
  readonly db: import('kysely').Kysely<import('./schema.js').Database>;
  /** Applies pending versioned migrations; safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Upserts one page of validated records of `source` keyed by the platform id and, in the same
   * transaction, advances that source's checkpoint. The same record twice is one row; a changed
   * record updates its row; unknown fields are kept.
   */
  writePage<S extends SourceName>(
    source: S,
    records: readonly SourceRecords[S][],
    checkpoint: PageCheckpoint,
  ): Promise<WriteResult>;
  /** Upserts derived PostSummary rows keyed by post_id. */
  writeSummaries(rows: readonly PostSummaryRow[]): Promise<WriteResult>;

  getSyncState(source: SyncState['source']): Promise<SyncState | null>;
  /**
   * Begins a pass over `source`, or resumes the running one: returns the state whose `nextPage`
   * to fetch first. A running pass with another page size restarts at page 1.
   */
  beginSync(source: SyncState['source'], pageSize: number): Promise<SyncState>;
  /** Marks the running pass complete (its empty page reached) and records when. */
  completeSync(source: SyncState['source'], recordCount: number): Promise<void>;

  /** Number of rows in the User table (the prototype's "is the database empty" test). */
  countUsers(): Promise<number>;
  stats(): Promise<StoreStats>;
}
