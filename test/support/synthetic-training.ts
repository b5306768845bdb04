// Synthetic training data with structure every model can find: users with one favourite category,
// creators, fresh posts and 40 days of interactions (many trend buckets).
import type { InteractionColumns, PostContent, TrainingData } from '../../src/recommend/index.js';
import { InteractionKind } from '../../src/recommend/index.js';
import { mulberry32 } from '../../src/recommend/random.js';

const DAY = 86_400;
const NOW = 1_700_000_000;
export const SYNTHETIC_TIME = { DAY, NOW } as const;
const CATEGORIES = ['Fitness', 'Cooking', 'Music', 'Travel', 'Finance', 'Comedy'];

/**
 * 300 posts (6 categories, 9 creators, some fresh) and 120 users with one favourite category whose
 * interactions spread over 40 days, so the trend signal has many time buckets.
 */
/** An interaction as a tuple: user, post, `InteractionKind` code, epoch seconds, rating percent (or NaN). */
export type EventTuple = [user: number, post: number, kind: number, at: number, ratingPercent: number];

/** Interaction columns from event tuples. */
export function interactionColumns(events: readonly EventTuple[]): InteractionColumns {
  return {
    length: events.length,
    userId: Int32Array.from(events, (e) => e[0]),
    postId: Int32Array.from(events, (e) => e[1]),
    kind: Uint8Array.from(events, (e) => e[2]),
    at: Float64Array.from(events, (e) => e[3]),
    ratingPercent: Float32Array.from(events, (e) => e[4]),
  };
}

export function syntheticTrainingData(seed = 3): TrainingData {
  const rand = mulberry32(seed);
  const posts: PostContent[] = [];
  for (let i = 0; i < 300; i++) {
    const name = CATEGORIES[i % CATEGORIES.length]!;
    posts.push({
      id: 500 + i,
      title: `${name} clip ${i}`,
      category: name,
      categoryId: (i % CATEGORIES.length) + 1,
      projectCode: null,
      creator: `creator${i % 9}`,
      createdAt: (NOW - (i % 11 === 0 ? rand() * 2 : 5 + rand() * 60) * DAY) * 1000,
      summary: `${name.toLowerCase()} ideas ${i % 13} and more ${name.toLowerCase()}`,
      keywords: [name.toLowerCase(), `tag${i % 7}`],
    });
  }
  const events: EventTuple[] = [];
  for (let u = 1; u <= 120; u++) {
    const taste = Math.floor(rand() * CATEGORIES.length);
    const start = NOW - (2 + rand() * 38) * DAY;
    const n = 1 + Math.floor(rand() * 30);
    for (let e = 0; e < n; e++) {
      const cat = rand() < 0.8 ? taste : Math.floor(rand() * CATEGORIES.length);
      const i = cat + CATEGORIES.length * Math.floor(rand() ** 2 * 50);
      const kind = rand() < 0.7 ? InteractionKind.view : InteractionKind.like;
      events.push([u, 500 + i, kind, start + e * 3600 * rand(), Number.NaN]);
    }
  }
  return {
    users: Int32Array.from({ length: 121 }, (_, u) => u + 1), // user 121 never interacted
    posts,
    interactions: interactionColumns(events),
    now: NOW,
  };
}
