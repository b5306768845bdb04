// MovieLens-shaped TrainingData from [user, item, stars, at] tuples, for the evaluation suites.
import { type MovieLensRaw, movieLensToTrainingData } from '../../src/eval/movielens.js';
import type { TrainingData } from '../../src/recommend/types.js';

export type Rating = [user: number, item: number, stars: number, at: number];

/**
 * Maps ratings the way the MovieLens loader does; the catalogue is movies 1..`catalogue`, each in the
 * genre `genreOf(item)` (Drama by default).
 */
export function movieLens(
  ratings: Rating[],
  catalogue: number,
  genreOf: (item: number) => { name: string; id: number } = () => ({ name: 'Drama', id: 8 }),
): TrainingData {
  const raw: MovieLensRaw = {
    users: Int32Array.from(new Set(ratings.map((r) => r[0]))),
    items: Array.from({ length: catalogue }, (_, i) => ({
      id: i + 1,
      title: `Movie ${i + 1}`,
      releasedAt: null,
      genres: [genreOf(i + 1).name],
      genreIds: [genreOf(i + 1).id],
    })),
    ratings: {
      length: ratings.length,
      userId: Int32Array.from(ratings.map((r) => r[0])),
      itemId: Int32Array.from(ratings.map((r) => r[1])),
      rating: Uint8Array.from(ratings.map((r) => r[2])),
      at: Float64Array.from(ratings.map((r) => r[3])),
    },
  };
  return movieLensToTrainingData(raw);
}
