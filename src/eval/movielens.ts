// Loads a MovieLens-100k folder and maps it the way sync would store it, so the offline evaluation
// runs the recommender on exactly the shapes it sees in production.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { InteractionColumns, PostContent, TrainingData } from '../recommend/types.js';
import { InteractionKind } from '../recommend/types.js';
import { FeedError } from '../shared/errors.js';

/** One movie of `u.item`. */
export interface MovieLensItem {
  id: number;
  title: string;
  /** Release date as epoch milliseconds (UTC), or null when missing or unparseable. */
  releasedAt: number | null;
  /** Genre names in `u.genre` order (the first is the post's category). */
  genres: string[];
  /** Genre ids (the `u.genre` numbers) parallel to `genres`. */
  genreIds: number[];
}

/** The raw dataset: ratings column-wise, plus items and user ids. */
export interface MovieLensRaw {
  /** Every user id: from `u.user` when present, else the distinct raters of `u.data`. */
  users: Int32Array;
  items: MovieLensItem[];
  ratings: {
    readonly length: number;
    readonly userId: Int32Array;
    readonly itemId: Int32Array;
    /** 1..5 stars. */
    readonly rating: Uint8Array;
    /** Epoch seconds. */
    readonly at: Float64Array;
  };
}

const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

/** Parses `u.item`'s `01-Jan-1995` into epoch milliseconds (UTC); null when it is not that shape. */
export function parseReleaseDate(text: string): number | null {
  const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text.trim());
  if (!match) return null;
  const month = MONTHS[match[2]!.toLowerCase()];
  if (month === undefined) return null;
  const day = Number(match[1]);
  const year = Number(match[3]);
  const ms = Date.UTC(year, month, day);
  // Reject rollovers such as 31-Feb: the date must read back as written.
  return new Date(ms).getUTCDate() === day ? ms : null;
}

function readDatasetFile(dir: string, name: string, encoding: BufferEncoding): string {
  const file = path.join(dir, name);
  if (!existsSync(file)) {
    throw new FeedError(
      'not_found',
      `MovieLens folder ${dir}: ${name} not found (expected the ml-100k files u.data, u.item, u.genre)`,
    );
  }
  return readFileSync(file, encoding);
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

function malformed(dir: string, file: string, lineNo: number, what: string): FeedError {
  return new FeedError('bad_request', `MovieLens folder ${dir}: ${file} line ${lineNo}: ${what}`);
}

/**
 * Reads the raw MovieLens-100k files (`u.data`, `u.item` in latin1, `u.genre`, optional `u.user`).
 *
 * @example const raw = loadMovieLensRaw('../shared/datasets/ml-100k'); raw.ratings.length // 100000
 */
export function loadMovieLensRaw(dir: string): MovieLensRaw {
  // u.genre: "name|id"; the id is the position of the genre's flag in u.item.
  const genreNames: string[] = [];
  for (const [i, line] of lines(readDatasetFile(dir, 'u.genre', 'latin1')).entries()) {
    const [name, idText] = line.split('|');
    const id = Number(idText);
    if (!name || !Number.isInteger(id) || id < 0)
      throw malformed(dir, 'u.genre', i + 1, 'expected "name|id"');
    genreNames[id] = name;
  }

  const items: MovieLensItem[] = [];
  for (const [i, line] of lines(readDatasetFile(dir, 'u.item', 'latin1')).entries()) {
    const fields = line.split('|');
    const id = Number(fields[0]);
    if (!Number.isInteger(id) || id <= 0 || fields.length < 5 + genreNames.length) {
      throw malformed(
        dir,
        'u.item',
        i + 1,
        `expected "id|title|release date|video date|url" + ${genreNames.length} genre flags`,
      );
    }
    const genres: string[] = [];
    const genreIds: number[] = [];
    for (let g = 0; g < genreNames.length; g++) {
      if (fields[5 + g] === '1') {
        genres.push(genreNames[g] ?? `genre ${g}`);
        genreIds.push(g);
      }
    }
    items.push({
      id,
      title: fields[1] ?? '',
      releasedAt: parseReleaseDate(fields[2] ?? ''),
      genres,
      genreIds,
    });
  }

  const dataLines = lines(readDatasetFile(dir, 'u.data', 'latin1'));
  const n = dataLines.length;
  const ratings = {
    length: n,
    userId: new Int32Array(n),
    itemId: new Int32Array(n),
    rating: new Uint8Array(n),
    at: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const [u, it, r, t] = dataLines[i]!.split('\t').map(Number);
    if (
      !Number.isInteger(u) ||
      !Number.isInteger(it) ||
      !Number.isInteger(r) ||
      r! < 1 ||
      r! > 5 ||
      !Number.isFinite(t)
    ) {
      throw malformed(dir, 'u.data', i + 1, 'expected "user<TAB>item<TAB>rating 1..5<TAB>timestamp"');
    }
    ratings.userId[i] = u!;
    ratings.itemId[i] = it!;
    ratings.rating[i] = r!;
    ratings.at[i] = t!;
  }

  let users: Int32Array;
  if (existsSync(path.join(dir, 'u.user'))) {
    users = Int32Array.from(
      lines(readDatasetFile(dir, 'u.user', 'latin1')).map((line) => Number(line.split('|')[0])),
    );
  } else {
    users = Int32Array.from(new Set(ratings.userId)).sort();
  }
  return { users, items, ratings };
}

/** The PostSummary-like text of a movie: its title and genres, as content models read it. */
function movieSummary(item: MovieLensItem): string {
  return item.genres.length > 0 ? `${item.title}. Genres: ${item.genres.join(', ')}.` : `${item.title}.`;
}

/**
 * Maps raw MovieLens to TrainingData the way sync would store it: movie → post (first genre →
 * category, genres → keywords), every rating → a view, rating ≥ 4 → a like, rating 5 → an
 * inspire, and every rating → a rating of stars × 20 percent, all at the rating's timestamp.
 */
export function movieLensToTrainingData(raw: MovieLensRaw): TrainingData {
  const posts: PostContent[] = raw.items.map((item) => ({
    id: item.id,
    title: item.title,
    category: item.genres[0] ?? null,
    categoryId: item.genreIds[0] ?? null,
    projectCode: null,
    creator: null,
    createdAt: item.releasedAt,
    summary: movieSummary(item),
    keywords: [...item.genres],
  }));

  const { ratings } = raw;
  let rows = 0;
  for (let i = 0; i < ratings.length; i++) {
    const r = ratings.rating[i]!;
    rows += 2 + (r >= 4 ? 1 : 0) + (r === 5 ? 1 : 0);
  }
  const interactions: InteractionColumns = {
    length: rows,
    userId: new Int32Array(rows),
    postId: new Int32Array(rows),
    kind: new Uint8Array(rows),
    at: new Float64Array(rows),
    ratingPercent: new Float32Array(rows),
  };
  let row = 0;
  const push = (i: number, kind: number, percent: number): void => {
    interactions.userId[row] = ratings.userId[i]!;
    interactions.postId[row] = ratings.itemId[i]!;
    interactions.kind[row] = kind;
    interactions.at[row] = ratings.at[i]!;
    interactions.ratingPercent[row] = percent;
    row++;
  };
  for (let i = 0; i < ratings.length; i++) {
    const r = ratings.rating[i]!;
    push(i, InteractionKind.view, Number.NaN);
    if (r >= 4) push(i, InteractionKind.like, Number.NaN);
    if (r === 5) push(i, InteractionKind.inspire, Number.NaN);
    push(i, InteractionKind.rating, r * 20);
  }
  return { users: raw.users.slice(), posts, interactions };
}

/**
 * Loads a MovieLens-100k folder as TrainingData (see `movieLensToTrainingData` for the mapping).
 *
 * @example const data = loadMovieLens('../shared/datasets/ml-100k'); data.posts.length // 1682
 */
export function loadMovieLens(dir: string): TrainingData {
  return movieLensToTrainingData(loadMovieLensRaw(dir));
}
