// Tunes the engine's defaults on the VALIDATION split only (the training part split again by the same
// rule), with a small, bounded coordinate search; the test part is never built on or scored.
//
// Stages, each a coordinate search over a few values per parameter (NDCG@20 on validation), with the
// axes each registry entry declares (`tune` in its file):
//  1. each `standalone` entry on its own metric (EASE λ, itemknn k/shrinkage/weighting, content
//     history half-life; the standalone models stay time-agnostic, as published);
//  2. the hybrid over one snapshot, re-blended with `withHybridWeights` (no refit): the weight of every
//     blend component but the anchor (the largest default weight), and the hybrid's history recency per
//     component (half-life in steps, floor);
//  3. the `hybrid`-stage entries (the time-aware signals: sequence, trend), a refit per trial, for
//     those the blend kept;
//  4. the blend once more, then the interaction weights and the matrix half-life (days).
// Every search starts from the current defaults and a move must gain more than `minGain`, so a
// re-run only moves what the data supports.
import type {
  BuildOptions,
  HistoryRecency,
  HybridOptions,
  HybridParams,
  HybridWeights,
  InteractionWeights,
  ModelRegistry,
  ModelSnapshot,
} from '../recommend/index.js';
import {
  blendOrder,
  buildSnapshot,
  DEFAULT_HALF_LIFE_DAYS,
  DEFAULT_INTERACTION_WEIGHTS,
  MODEL_REGISTRY,
  modelNames,
  withHybridWeights,
} from '../recommend/index.js';
import { hybridDefaults } from '../recommend/registry.js';
import type { TrainingData } from '../recommend/types.js';
import { recommenderFromSnapshot } from './recommender.js';
import type { GroupMetrics } from './run.js';
import { evaluateSplit } from './run.js';
import type { PositivesRule, TimeSplit } from './split.js';
import { splitByTime } from './split.js';

/** Candidate values per tuned parameter; every list is small so the search stays bounded. */
export interface TuneGrid {
  /** Per registry entry (by name): values tried for each of its options. */
  models: Record<string, Record<string, readonly unknown[]>>;
  /** Values tried for each blend weight (the anchor component's weight stays put). */
  blend: number[];
  /** The hybrid's history recency, for each component that has one. */
  recency: { halfLifeSteps: number[]; recencyFloor: number[] };
  interactionWeights: InteractionWeights[];
  halfLifeDays: number[];
}

/** The tuning grid of a registry: each entry's own axes plus the blend and global ones. */
export function tuneGridOf(registry: ModelRegistry): TuneGrid {
  const models: TuneGrid['models'] = {};
  for (const def of registry)
    if (def.tune) models[def.name] = def.tune.grid as Record<string, readonly unknown[]>;
  return {
    models,
    blend: [0, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2],
    recency: { halfLifeSteps: [Infinity, 20, 10, 7, 5, 3], recencyFloor: [0, 0.05, 0.1, 0.2] },
    interactionWeights: [
      { view: 1, like: 3, inspire: 4, rating: 2 },
      { view: 1, like: 1, inspire: 1, rating: 0 },
      { view: 1, like: 2, inspire: 2, rating: 1 },
      { view: 1, like: 5, inspire: 8, rating: 0 },
    ],
    halfLifeDays: [30, 180, 365, Infinity],
  };
}

export const DEFAULT_TUNE_GRID: Readonly<TuneGrid> = Object.freeze(tuneGridOf(MODEL_REGISTRY));

export interface TuneOptions {
  positives?: PositivesRule;
  grid?: TuneGrid;
  /** Coordinate-search rounds over the blend weights. */
  blendRounds?: number;
  /** Validation NDCG@20 a move must gain to replace the current value (guards against noise). */
  minGain?: number;
  /** Progress lines (one per trial). */
  log?: (line: string) => void;
  /** Called after each trial with it and the best validation NDCG@20 seen in any trial so far. */
  onTrial?: (trial: Trial, count: number, bestNdcg20: number) => void;
  /** How snapshots are built (tests spy on it); default `buildSnapshot`. */
  build?: (train: TrainingData, options: BuildOptions) => ModelSnapshot;
  /** The models to tune (default: the built-in registry). */
  registry?: ModelRegistry;
  /**
   * Time the search may take, in seconds (default: no limit). Checked before each trial: once spent,
   * the remaining trials are skipped and the best settings found so far are measured and returned. The
   * baseline and the final table are measured outside the budget (two builds).
   */
  budgetSeconds?: number;
  /** The clock the budget is read from, in milliseconds (tests pass a fake one); default `performance.now`. */
  now?: () => number;
}

export interface Trial {
  stage: string;
  settings: string;
  ndcg20: number;
}

export interface TuneResult {
  /** The tuned settings as build options: write them into `src/recommend/defaults.ts`. */
  best: BuildOptions;
  /** Validation metrics of the hybrid with the defaults, and with `best`. */
  baseline: GroupMetrics;
  tuned: GroupMetrics;
  /** Validation metrics of every model with `best` (the hybrid must beat them all). */
  models: { model: string; all: GroupMetrics }[];
  trials: Trial[];
  validation: { users: number; evaluatedUsers: number };
  /** True when the time budget ran out before the search finished. */
  stoppedEarly: boolean;
  /**
   * `tuned` when the search's settings beat the defaults on validation; `defaults` when they did not
   * (then `best` is `{}` and `tuned` equals `baseline`): the result is never worse than the defaults.
   */
  kept: 'tuned' | 'defaults';
}

/** A stable key for a settings object (JSON without Infinity ambiguity). */
function keyOf(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v));
}

/**
 * Coordinate search: for each axis in turn, try its values with the others fixed and keep the best;
 * a move must gain more than `minGain` (ties and noise-level gains keep the current value). Repeats
 * for `rounds`; memoised, so a revisited point costs nothing.
 */
export function coordinateSearch<T extends Record<string, unknown>>(
  start: T,
  axes: { [K in keyof T]?: readonly T[K][] },
  score: (candidate: T) => number,
  rounds = 1,
  minGain = 0,
): { best: T; score: number } {
  const memo = new Map<string, number>();
  const evalAt = (c: T) => {
    const k = keyOf(c);
    let s = memo.get(k);
    if (s === undefined) memo.set(k, (s = score(c)));
    return s;
  };
  let best = { ...start };
  let bestScore = evalAt(best);
  for (let r = 0; r < rounds; r++) {
    let improved = false;
    for (const axis of Object.keys(axes) as (keyof T)[]) {
      for (const value of axes[axis] ?? []) {
        if (Object.is(value, best[axis])) continue;
        const candidate = { ...best, [axis]: value };
        const s = evalAt(candidate);
        if (s > bestScore + Math.max(minGain, 1e-9)) {
          best = candidate;
          bestScore = s;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return { best, score: bestScore };
}

/** The validation split: the protocol applied to the test split's training part. */
export function validationSplit(data: TrainingData, positives: PositivesRule): TimeSplit {
  return splitByTime(splitByTime(data, { positives }).train, { positives });
}

/** The blend as a flat point for coordinate search: `weight.<component>`, `recency.<component>.<field>`. */
function blendPointOf(weights: HybridWeights, recency: HybridParams['recency']): Record<string, number> {
  const point: Record<string, number> = {};
  for (const [c, w] of Object.entries(weights)) point[`weight.${c}`] = w;
  for (const [c, r] of Object.entries(recency)) {
    if (!r) continue;
    point[`recency.${c}.halfLifeSteps`] = r.halfLifeSteps;
    point[`recency.${c}.recencyFloor`] = r.recencyFloor;
  }
  return point;
}

/** The inverse of `blendPointOf`, as hybrid build options. */
function hybridOptionsOf(point: Record<string, number>): HybridOptions {
  const weights: Partial<HybridWeights> = {};
  const recency: Record<string, HistoryRecency> = {};
  for (const [key, value] of Object.entries(point)) {
    const [kind, component, field] = key.split('.') as [string, string, keyof HistoryRecency];
    if (kind === 'weight') weights[component] = value;
    else {
      const r = (recency[component] ??= { halfLifeSteps: Number.POSITIVE_INFINITY, recencyFloor: 0 });
      r[field] = value;
    }
  }
  return { weights, recency };
}

function fmt(settings: Record<string, unknown>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? keyOf(v) : String(v)}`)
    .join(' ');
}

/**
 * Tunes the defaults on the validation split of `data` and returns the best settings found.
 *
 * @example const { best } = tune(loadMovieLens(dir), { positives: 'movielens', log: console.error });
 */
export function tune(data: TrainingData, options: TuneOptions = {}): TuneResult {
  const {
    positives = 'empowerverse',
    grid = DEFAULT_TUNE_GRID,
    blendRounds = 2,
    minGain = 0.0005,
    log = () => {},
    onTrial,
    registry = MODEL_REGISTRY,
    build = (train, opts) => buildSnapshot(train, opts, { registry }),
    budgetSeconds = Number.POSITIVE_INFINITY,
    now = () => performance.now(),
  } = options;
  if (!(budgetSeconds >= 0)) throw new RangeError(`budgetSeconds must be ≥ 0, got ${budgetSeconds}`);
  const deadline = now() + budgetSeconds * 1000;
  let stoppedEarly = false;
  /** True once the budget is spent (logged once); a trial not run scores −∞, so it is never taken. */
  const spent = () => {
    if (stoppedEarly) return true;
    if (now() < deadline) return false;
    stoppedEarly = true;
    log(`budget of ${budgetSeconds} s spent after ${trials.length} trials: keeping the best so far`);
    return true;
  };
  const defaults = hybridDefaults(registry);
  const entries = registry.filter((d) => d.tune && grid.models[d.name]);
  const startOf = (def: (typeof registry)[number]) => {
    const axes = grid.models[def.name]!;
    return Object.fromEntries(
      Object.keys(axes).map((k) => [k, (def.defaults as Record<string, unknown>)[k]]),
    );
  };
  const split = validationSplit(data, positives);
  const trials: Trial[] = [];
  let bestSeen = Number.NEGATIVE_INFINITY;
  const measure = (snapshot: ModelSnapshot, model: string): GroupMetrics =>
    evaluateSplit(split, recommenderFromSnapshot(snapshot), { models: [model] })[0]!.all;
  const record = (stage: string, settings: Record<string, unknown>, ndcg20: number) => {
    const trial = { stage, settings: fmt(settings), ndcg20 };
    trials.push(trial);
    bestSeen = Math.max(bestSeen, ndcg20);
    onTrial?.(trial, trials.length, bestSeen);
    log(`${stage.padEnd(10)} ${ndcg20.toFixed(4)}  ${trial.settings}`);
  };
  // Every search starts from the current defaults, so a re-run only moves what the data supports.
  const search = <T extends Record<string, unknown>>(
    start: T,
    axes: { [K in keyof T]?: readonly T[K][] },
    score: (candidate: T) => number,
    rounds = 1,
  ) => coordinateSearch(start, axes, score, rounds, minGain).best;
  const componentScore =
    <T extends Record<string, unknown>>(model: string, toOptions: (p: T) => BuildOptions) =>
    (p: T) => {
      if (spent()) return Number.NEGATIVE_INFINITY;
      const s = measure(build(split.train, { models: [model], ...toOptions(p) }), model).ndcg20;
      record(model, p, s);
      return s;
    };

  // Stage 1: standalone models on their own metric.
  let settings: BuildOptions = {};
  for (const def of entries.filter((d) => d.tune!.stage === 'standalone')) {
    const best = search(
      startOf(def),
      grid.models[def.name]!,
      componentScore(def.name, (p) => ({ [def.optionsKey]: p })),
    );
    settings = { ...settings, [def.optionsKey]: best };
  }

  // Stage 2: the hybrid over one snapshot with every component fitted (re-blended, not refitted).
  const components = blendOrder(registry);
  const selectable = modelNames(registry);
  const hybridModels = ['hybrid', ...components.map((d) => d.name).filter((n) => selectable.includes(n))];
  settings = { ...settings, models: hybridModels };
  // The anchor keeps its weight: blend weights are relative, so one of them may stay fixed.
  const anchor = components.reduce((a, b) =>
    (defaults.weights[b.name] ?? 0) > (defaults.weights[a.name] ?? 0) ? b : a,
  );
  let blendPoint = blendPointOf(defaults.weights, defaults.recency);
  const blendAxes: Record<string, readonly number[]> = {};
  for (const c of components) if (c !== anchor) blendAxes[`weight.${c.name}`] = grid.blend;
  for (const c of Object.keys(defaults.recency)) {
    blendAxes[`recency.${c}.halfLifeSteps`] = grid.recency.halfLifeSteps;
    blendAxes[`recency.${c}.recencyFloor`] = grid.recency.recencyFloor;
  }
  const searchBlend = (snapshot: ModelSnapshot, stage: string, rounds: number) =>
    search(
      blendPoint,
      blendAxes,
      (point) => {
        if (spent()) return Number.NEGATIVE_INFINITY;
        const s = measure(withHybridWeights(snapshot, hybridOptionsOf(point)), 'hybrid').ndcg20;
        record(stage, point, s);
        return s;
      },
      rounds,
    );
  // A blend stage's snapshot is built only while budget remains (its first trial is the start point).
  if (!spent()) blendPoint = searchBlend(build(split.train, settings), 'blend', blendRounds);

  // Stage 3: the time-aware signals inside the hybrid (a refit per trial).
  const hybridScore = (opts: BuildOptions, stage: string, shown: Record<string, unknown>) => {
    if (spent()) return Number.NEGATIVE_INFINITY;
    const s = measure(build(split.train, { ...opts, hybrid: hybridOptionsOf(blendPoint) }), 'hybrid').ndcg20;
    record(stage, shown, s);
    return s;
  };
  for (const def of entries.filter((d) => d.tune!.stage === 'hybrid')) {
    if (!((blendPoint[`weight.${def.name}`] ?? 0) > 0)) continue;
    const best = search(startOf(def), grid.models[def.name]!, (p) =>
      hybridScore({ ...settings, [def.optionsKey]: p }, def.name, p),
    );
    settings = { ...settings, [def.optionsKey]: best };
  }

  // Stage 4: blend once more on the refitted signals, then interaction weights and matrix half-life.
  if (!spent()) blendPoint = searchBlend(build(split.train, settings), 'blend-2', 1);
  const global = search(
    {
      weights: { ...DEFAULT_INTERACTION_WEIGHTS } as InteractionWeights,
      halfLifeDays: DEFAULT_HALF_LIFE_DAYS,
    },
    { weights: grid.interactionWeights, halfLifeDays: grid.halfLifeDays },
    (p) => hybridScore({ ...settings, ...p }, 'global', p),
  );
  settings = { ...settings, ...global };

  let best: BuildOptions = { ...settings, hybrid: hybridOptionsOf(blendPoint) };
  delete best.models;
  const table = (opts: BuildOptions) =>
    evaluateSplit(split, recommenderFromSnapshot(build(split.train, { ...opts, models: selectable }))).map(
      (m) => ({ model: m.model, all: m.all }),
    );
  let models = table(best);
  let tuned = models.find((m) => m.model === 'hybrid')!.all;
  const baseline = measure(build(split.train, { models: ['hybrid'] }), 'hybrid');
  // Stage 1 tunes the standalone models on their own metric, which can cost the hybrid: the defaults
  // win unless the search's settings beat them.
  const kept = tuned.ndcg20 >= baseline.ndcg20 ? 'tuned' : 'defaults';
  if (kept === 'defaults') {
    log(`tuned ${tuned.ndcg20.toFixed(4)} < defaults ${baseline.ndcg20.toFixed(4)}: keeping the defaults`);
    best = {};
    models = table(best);
    tuned = baseline;
  }
  return {
    best,
    baseline,
    tuned,
    models,
    stoppedEarly,
    kept,
    trials,
    validation: {
      users: split.heldOut.length,
      evaluatedUsers: split.heldOut.filter((u) => u.positives.length).length,
    },
  };
}

/** The tuned settings as text to paste into `defaults.ts` (Infinity spelled out). */
export function formatTuneResult(result: TuneResult): string {
  const lines: string[] = [];
  lines.push(
    `validation split: ${result.validation.users} users tested, ${result.validation.evaluatedUsers} with positives`,
  );
  lines.push(
    `hybrid NDCG@20 on validation: defaults ${result.baseline.ndcg20.toFixed(4)} → tuned ${result.tuned.ndcg20.toFixed(4)}`,
  );
  if (result.stoppedEarly) lines.push('time budget spent: the search stopped early (best so far kept)');
  if (result.kept === 'defaults')
    lines.push('the search found nothing better than the defaults: keeping them');
  lines.push('validation NDCG@20 per model with the tuned settings:');
  for (const m of result.models) lines.push(`  ${m.model.padEnd(12)} ${m.all.ndcg20.toFixed(4)}`);
  lines.push('best settings (BuildOptions):');
  lines.push(JSON.stringify(result.best, (_k, v) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v), 2));
  return `${lines.join('\n')}\n`;
}
