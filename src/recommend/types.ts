// Input of the recommendation engine: what a model snapshot is built from, independent of where it
// came from (the store after a sync, or a MovieLens folder mapped the way sync would store it).

/** Interaction kinds, numbered for compact typed-array storage. */
export const InteractionKind = { view: 0, like: 1, inspire: 2, rating: 3 } as const;
export type InteractionKindName = keyof typeof InteractionKind;
export type InteractionKindCode = (typeof InteractionKind)[InteractionKindName];

/**
 * All interactions, column-wise: row i is (userId[i], postId[i], kind[i], at[i], rating[i]).
 * Columns keep 2,000,000 rows in ~40 MB instead of 2,000,000 objects.
 */
export interface InteractionColumns {
  readonly length: number;
  /** Platform user id. */
  readonly userId: Int32Array;
  /** Platform post id. */
  readonly postId: Int32Array;
  /** `InteractionKind` code. */
  readonly kind: Uint8Array;
  /** Epoch seconds (UTC). */
  readonly at: Float64Array;
  /** `rating_percent` 0..100 for ratings; NaN for other kinds. */
  readonly ratingPercent: Float32Array;
}

/** What content models know of a post (from Post + PostSummary). */
export interface PostContent {
  id: number;
  title: string;
  /** Category name as stored (`category.name`), or null. */
  category: string | null;
  /** Category id, when known. */
  categoryId: number | null;
  /** Topic `project_code`, accepted as an alias of the category in feed filters. */
  projectCode: string | null;
  /** Creator's username (for the consecutive-creator bound), or null. */
  creator: string | null;
  /** Epoch milliseconds, or null when unknown. */
  createdAt: number | null;
  /** PostSummary text (description etc.). */
  summary: string;
  /** Keywords from PostSummary / tags. */
  keywords: string[];
}

export interface TrainingData {
  /** Every known user id (users with no interactions included). */
  users: Int32Array;
  /** Every known post: the candidate catalogue. */
  posts: PostContent[];
  interactions: InteractionColumns;
  /** Reference "now" in epoch seconds for recency decay; the latest interaction time by default. */
  now?: number;
}
