// Adapts the recommend module's snapshot to the evaluation's Recommender interface.
//
// Evaluation measures each model's raw ranking (`rankForUser`): the full catalogue minus the user's
// training posts, best first, without the feed's composition rules. Those rules (bounded category and
// creator runs, reserved fresh slots) are product constraints applied to every model alike; MovieLens
// has no creators and no fresh posts, so on it they would only reshuffle ranks by genre. `composed: true`
// measures the served feed instead (`recommendFeed` page 1), to see what composition costs.
import type { BuildOptions, ModelName, ModelSnapshot } from '../recommend/index.js';
import { buildSnapshot, MODEL_NAMES, rankForUser, recommendFeed } from '../recommend/index.js';
import type { TrainingData } from '../recommend/types.js';
import type { BuildRecommender, Recommender } from './run.js';

export interface SnapshotRecommenderOptions {
  /** Build options (defaults: `src/recommend/defaults.ts`); `models` defaults to every model, `ials` included. */
  build?: BuildOptions;
  /** Rank with the composed feed (`recommendFeed`) instead of the raw model ranking. */
  composed?: boolean;
}

/** A Recommender over an already built snapshot (tuning re-blends one snapshot many times). */
export function recommenderFromSnapshot(snapshot: ModelSnapshot, { composed = false } = {}): Recommender {
  const models = MODEL_NAMES.filter((m) => snapshot.models.has(m));
  return {
    models,
    rank(model, userId, k) {
      const name = model as ModelName;
      if (composed) {
        return recommendFeed(snapshot, { userId, model: name, pageSize: k }).items.map((item) => item.postId);
      }
      // Fallback as in the feed: a model that cannot score a user hands over to `popular`.
      return rankForUser(snapshot, { userId, model: name, k, fallback: true }).map((item) => item.postId);
    },
  };
}

/**
 * The default evaluation recommender: one snapshot built on the training part with every model.
 *
 * @example evaluate(data, { buildRecommender: snapshotRecommender({ build: { ease: { lambda: 200 } } }) })
 */
export function snapshotRecommender({
  build = {},
  composed = false,
}: SnapshotRecommenderOptions = {}): BuildRecommender {
  return (train: TrainingData) =>
    recommenderFromSnapshot(buildSnapshot(train, { models: MODEL_NAMES, ...build }), { composed });
}
