// Runs the offline evaluation: split, build once on the training part, rank every tested user's
// unseen catalogue with every model, and average the metrics over all and over cold users.
import { performance } from 'node:perf_hooks';
import type { TrainingData } from '../recommend/types.js';
import { FeedError } from '../shared/errors.js';
import { coverageAtK, mean, ndcgAtK, recallAtK } from './metrics.js';
import { snapshotRecommender } from './recommender.js';
import type { HeldOutUser, PositivesRule, SplitOptions, TimeSplit } from './split.js';
import { splitByTime } from './split.js';

/** What the evaluation needs from a recommender: a top-K ranking per (model, user). */
export interface Recommender {
  /** Model names this recommender answers, in report order. */
  readonly models: readonly string[];
  /** Up to `k` post ids for `userId`, best first; must not contain the user's training posts. */
  rank(model: string, userId: number, k: number): readonly number[];
}

/** Builds a recommender from the training part (once per evaluation). */
export type BuildRecommender = (train: TrainingData) => Recommender;

/** Metric averages over one group of users. */
export interface GroupMetrics {
  /** Users averaged (tested users with at least one held-out positive). */
  users: number;
  recall10: number;
  ndcg10: number;
  recall20: number;
  ndcg20: number;
  /** Distinct posts in these users' top 20 / catalogue size. */
  coverage20: number;
}

export interface ModelResult {
  model: string;
  all: GroupMetrics;
  cold: GroupMetrics;
  /** Items a model returned that were training posts of the user or duplicates (dropped; should be 0). */
  invalidItems: number;
  /** Wall-clock seconds spent ranking (informational). */
  rankSeconds: number;
}

/** The JSON-serialisable result of `evaluate`. */
export interface EvalReport {
  protocol: {
    /** `test`: held-out last 20%; `validation`: the same rule applied inside the training part. */
    split: 'test' | 'validation';
    holdoutFraction: number;
    minEvents: number;
    positives: PositivesRule;
    /** Cold users: at most this many training events. */
    coldThreshold: number;
    /** Ranking depth per user (the full catalogue minus the user's training posts is ranked). */
    depth: number;
  };
  dataset: { users: number; posts: number; interactions: number; events: number };
  split: {
    /** Users with at least `minEvents` events. */
    testedUsers: number;
    /** Tested users with at least one held-out positive (the ones averaged). */
    evaluatedUsers: number;
    coldUsers: number;
    heldOutEvents: number;
    heldOutPositives: number;
    trainRows: number;
  };
  /** Wall-clock seconds to build the recommender on the training part (informational). */
  buildSeconds: number;
  models: ModelResult[];
}

export interface EvalOptions extends SplitOptions {
  /** Models to evaluate, in report order; default: every model the recommender answers. */
  models?: readonly string[];
  /**
   * Users with at most this many training events form the cold group. Default 20: ml-100k users all
   * have ≥ 20 ratings (≥ 16 training events), so 20 picks the ~15% with the thinnest histories (≤ 25
   * ratings); on EmpowerVerse data it catches every light user. Users without history are not tested
   * (they have nothing to hold out) — the feed answers them with `popular`.
   */
  coldThreshold?: number;
  /** Evaluate on the validation split (tuning) instead of the test split. */
  split?: 'test' | 'validation';
  /** How to build the recommender; default: the recommend module's snapshot with its defaults. */
  buildRecommender?: BuildRecommender;
  /** Called after each model with its result (progress for long runs). */
  onModel?: (result: ModelResult) => void;
}

const DEPTH = 20;

function groupMetrics(
  users: readonly HeldOutUser[],
  rankings: Map<number, readonly number[]>,
  catalogue: number,
) {
  const recall10: number[] = [];
  const ndcg10: number[] = [];
  const recall20: number[] = [];
  const ndcg20: number[] = [];
  const lists: (readonly number[])[] = [];
  for (const user of users) {
    const ranked = rankings.get(user.userId) ?? [];
    const relevant = new Set(user.positives);
    recall10.push(recallAtK(ranked, relevant, 10));
    ndcg10.push(ndcgAtK(ranked, relevant, 10));
    recall20.push(recallAtK(ranked, relevant, 20));
    ndcg20.push(ndcgAtK(ranked, relevant, 20));
    lists.push(ranked);
  }
  return {
    users: users.length,
    recall10: mean(recall10),
    ndcg10: mean(ndcg10),
    recall20: mean(recall20),
    ndcg20: mean(ndcg20),
    coverage20: coverageAtK(lists, catalogue, 20),
  } satisfies GroupMetrics;
}

/**
 * Evaluates every requested model on an existing split (tuning reuses one split for many runs).
 * Users without held-out positives are skipped; cold = at most `coldThreshold` training events.
 */
export function evaluateSplit(
  split: TimeSplit,
  recommender: Recommender,
  {
    models = recommender.models,
    coldThreshold = 20,
    onModel,
  }: Pick<EvalOptions, 'models' | 'coldThreshold' | 'onModel'> = {},
): ModelResult[] {
  const unknown = models.filter((m) => !recommender.models.includes(m));
  if (unknown.length > 0) {
    throw new FeedError(
      'bad_request',
      `unknown model ${unknown.join(', ')}; accepted: ${recommender.models.join(', ')}`,
    );
  }
  const evaluated = split.heldOut.filter((u) => u.positives.length > 0);
  const cold = evaluated.filter((u) => u.trainEvents <= coldThreshold);
  const catalogue = split.train.posts.length;
  const results: ModelResult[] = [];
  for (const model of models) {
    const started = performance.now();
    const rankings = new Map<number, readonly number[]>();
    let invalidItems = 0;
    for (const user of evaluated) {
      const raw = recommender.rank(model, user.userId, DEPTH);
      // Defensive: a training post or a repeat in a ranking is a model bug; it is dropped and counted,
      // so it costs the model a slot instead of inflating its score.
      const kept: number[] = [];
      const seen = new Set<number>();
      for (const post of raw) {
        if (user.trainPosts.has(post) || seen.has(post)) {
          invalidItems++;
          continue;
        }
        seen.add(post);
        kept.push(post);
        if (kept.length === DEPTH) break;
      }
      rankings.set(user.userId, kept);
    }
    const result: ModelResult = {
      model,
      all: groupMetrics(evaluated, rankings, catalogue),
      cold: groupMetrics(cold, rankings, catalogue),
      invalidItems,
      rankSeconds: (performance.now() - started) / 1000,
    };
    onModel?.(result);
    results.push(result);
  }
  return results;
}

/**
 * The offline evaluation of issue 3: per-user chronological hold-out (see split.ts), a recommender
 * built once on the training part, every model ranking each tested user's unseen catalogue.
 *
 * @example formatReport(evaluate(loadMovieLens(dir), { positives: 'movielens' }))
 */
export function evaluate(data: TrainingData, options: EvalOptions = {}): EvalReport {
  const {
    holdoutFraction = 0.2,
    minEvents = 5,
    positives = 'empowerverse',
    coldThreshold = 20,
    split: which = 'test',
    buildRecommender = snapshotRecommender(),
  } = options;
  if (!Number.isInteger(coldThreshold) || coldThreshold < 0) {
    throw new FeedError('bad_request', `cold threshold must be a non-negative integer, got ${coldThreshold}`);
  }
  const splitOptions = { holdoutFraction, minEvents, positives };
  const test = splitByTime(data, splitOptions);
  // Validation: the same rule applied inside the training part; the test part is never seen.
  const split = which === 'validation' ? splitByTime(test.train, splitOptions) : test;

  const started = performance.now();
  const recommender = buildRecommender(split.train);
  const buildSeconds = (performance.now() - started) / 1000;
  const models = evaluateSplit(split, recommender, {
    coldThreshold,
    ...(options.models ? { models: options.models } : {}),
    ...(options.onModel ? { onModel: options.onModel } : {}),
  });

  const evaluated = split.heldOut.filter((u) => u.positives.length > 0);
  return {
    protocol: { split: which, holdoutFraction, minEvents, positives, coldThreshold, depth: DEPTH },
    dataset: {
      users: data.users.length,
      posts: data.posts.length,
      interactions: data.interactions.length,
      events: test.stats.events,
    },
    split: {
      testedUsers: split.heldOut.length,
      evaluatedUsers: evaluated.length,
      coldUsers: evaluated.filter((u) => u.trainEvents <= coldThreshold).length,
      heldOutEvents: split.stats.heldOutEvents,
      heldOutPositives: evaluated.reduce((sum, u) => sum + u.positives.length, 0),
      trainRows: split.stats.trainRows,
    },
    buildSeconds,
    models,
  };
}
