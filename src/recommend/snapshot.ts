// Builds the immutable model snapshot once per sync (never per request): the shared base plus every
// selected model fitted, with build timings; `withHybridWeights` re-blends without refitting.

import { FeedError } from '../shared/errors.js';
import type { BaseStats, BuildContext, SnapshotBase } from './base.js';
import { buildBase } from './base.js';
import type {
  ComponentName,
  ComposeParams,
  ContentParams,
  EaseParams,
  HybridParams,
  HybridWeights,
  IalsParams,
  InteractionWeights,
  ItemKnnParams,
  ModelName,
  PopularParams,
  SeedHybridParams,
  SequenceParams,
  TrendParams,
} from './defaults.js';
import {
  DEFAULT_COMPOSE,
  DEFAULT_CONTENT,
  DEFAULT_EASE,
  DEFAULT_HALF_LIFE_DAYS,
  DEFAULT_HYBRID,
  DEFAULT_IALS,
  DEFAULT_INTERACTION_WEIGHTS,
  DEFAULT_ITEMKNN,
  DEFAULT_MODELS,
  DEFAULT_POPULAR,
  DEFAULT_SEED_HYBRID,
  DEFAULT_SEQUENCE,
  DEFAULT_TREND,
  MODEL_NAMES,
} from './defaults.js';
import { fitContent } from './models/content.js';
import { fitEase } from './models/ease.js';
import type { HybridModel } from './models/hybrid.js';
import { makeHybrid } from './models/hybrid.js';
import { fitIals } from './models/ials.js';
import { fitItemKnn } from './models/itemknn.js';
import type { PopularModel } from './models/popular.js';
import { fitPopular } from './models/popular.js';
import type { Recommender } from './models/recommender.js';
import { fitSeedHybrid } from './models/seed-hybrid.js';
import { fitSequence } from './models/sequence.js';
import { fitTrend } from './models/trend.js';
import type { TrainingData } from './types.js';

/** Hybrid options: any subset of weights may be given; the rest keep their defaults. */
export interface HybridOptions {
  weights?: Partial<HybridWeights>;
  coldWeights?: Partial<HybridWeights>;
  coldHistoryMax?: number;
  normalisation?: HybridParams['normalisation'];
  recency?: HybridParams['recency'];
}

/** What to fit and how; every field defaults to `defaults.ts`. */
export interface BuildOptions {
  /** Models to fit (`popular` always is: it is the fallback). `hybrid` pulls in the components it blends. */
  models?: readonly ModelName[];
  /** Interaction weights of the user × post matrix. */
  weights?: Partial<InteractionWeights>;
  /** Half-life (days) of interaction weights, back from `now`. */
  halfLifeDays?: number;
  /** Reference time, epoch seconds (default: `data.now`, else the latest interaction). */
  now?: number;
  popular?: Partial<PopularParams>;
  seedHybrid?: Partial<SeedHybridParams>;
  itemknn?: Partial<ItemKnnParams>;
  ease?: Partial<EaseParams>;
  ials?: Partial<IalsParams>;
  content?: Partial<ContentParams>;
  sequence?: Partial<SequenceParams>;
  trend?: Partial<TrendParams>;
  hybrid?: HybridOptions;
  compose?: Partial<ComposeParams>;
}

/** `BuildOptions` with every default filled in. */
export interface ResolvedBuildOptions {
  models: readonly ModelName[];
  weights: InteractionWeights;
  halfLifeDays: number;
  popular: PopularParams;
  seedHybrid: SeedHybridParams;
  itemknn: ItemKnnParams;
  ease: EaseParams;
  ials: IalsParams;
  content: ContentParams;
  sequence: SequenceParams;
  trend: TrendParams;
  hybrid: HybridParams;
  compose: ComposeParams;
}

export interface SnapshotStats extends BaseStats {
  /** Milliseconds per fitted part, plus `base` and `total`. */
  buildMs: Record<string, number>;
  /** Notable decisions taken during the build (e.g. EASE restricted to the most interacted posts). */
  notes: string[];
}

/** Per-snapshot buffers reused by every request (requests are synchronous, so one set suffices). */
export interface FeedScratch {
  scores: Float32Array;
  seen: Uint8Array;
  used: Uint8Array;
}

/** An immutable, fully built model: share it between requests; build a new one after each sync. */
export interface ModelSnapshot {
  readonly base: SnapshotBase;
  /** Fitted models by name (always includes `popular`). */
  readonly models: ReadonlyMap<ModelName, Recommender>;
  /** Fitted blend components (models and hybrid-only signals). */
  readonly components: ReadonlyMap<ComponentName, Recommender>;
  readonly popular: PopularModel;
  readonly options: ResolvedBuildOptions;
  readonly stats: SnapshotStats;
  /** Posts fresh enough for the feed's reserved slots (columns ascending). */
  readonly freshCols: Int32Array;
  /** @internal */
  readonly scratch: FeedScratch;
}

const COMPONENT_MODELS = ['popular', 'itemknn', 'ease', 'ials', 'content'] as const;

/** Fills in defaults and checks option values, naming what is accepted. */
export function resolveBuildOptions(options: BuildOptions = {}): ResolvedBuildOptions {
  const models = [...new Set(options.models ?? DEFAULT_MODELS)];
  for (const m of models) {
    if (!(MODEL_NAMES as readonly string[]).includes(m)) {
      throw new FeedError(
        'config_invalid',
        `models: unknown model '${m}'; accepted: ${MODEL_NAMES.join(', ')}`,
      );
    }
  }
  if (!models.includes('popular')) models.unshift('popular');
  const halfLifeDays = options.halfLifeDays ?? DEFAULT_HALF_LIFE_DAYS;
  if (!(halfLifeDays > 0)) {
    throw new FeedError(
      'config_invalid',
      `halfLifeDays must be > 0 (Infinity for no decay), got ${halfLifeDays}`,
    );
  }
  const weights = { ...DEFAULT_INTERACTION_WEIGHTS, ...options.weights };
  for (const [k, v] of Object.entries(weights)) {
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new FeedError('config_invalid', `weights.${k} must be a finite number ≥ 0, got ${v}`);
    }
  }
  return {
    models,
    weights,
    halfLifeDays,
    popular: { ...DEFAULT_POPULAR, ...options.popular },
    seedHybrid: { ...DEFAULT_SEED_HYBRID, ...options.seedHybrid },
    itemknn: { ...DEFAULT_ITEMKNN, ...options.itemknn },
    ease: { ...DEFAULT_EASE, ...options.ease },
    ials: { ...DEFAULT_IALS, ...options.ials },
    content: {
      ...DEFAULT_CONTENT,
      ...options.content,
      fieldWeights: { ...DEFAULT_CONTENT.fieldWeights, ...options.content?.fieldWeights },
    },
    sequence: { ...DEFAULT_SEQUENCE, ...options.sequence },
    trend: { ...DEFAULT_TREND, ...options.trend },
    hybrid: resolveHybrid(DEFAULT_HYBRID, options.hybrid),
    compose: { ...DEFAULT_COMPOSE, ...options.compose },
  };
}

function resolveHybrid(base: HybridParams, options: HybridOptions = {}): HybridParams {
  const params: HybridParams = {
    weights: { ...base.weights, ...options.weights },
    coldWeights: { ...base.coldWeights, ...options.coldWeights },
    coldHistoryMax: options.coldHistoryMax ?? base.coldHistoryMax,
    normalisation: options.normalisation ?? base.normalisation,
    recency: { ...base.recency, ...options.recency },
  };
  for (const [set, w] of [
    ['weights', params.weights],
    ['coldWeights', params.coldWeights],
  ] as const) {
    for (const [k, v] of Object.entries(w)) {
      if (!(v >= 0) || !Number.isFinite(v)) {
        throw new FeedError('config_invalid', `hybrid.${set}.${k} must be a finite number ≥ 0, got ${v}`);
      }
    }
  }
  return params;
}

function needed(params: HybridParams, name: ComponentName): boolean {
  return params.weights[name] > 0 || params.coldWeights[name] > 0;
}

/**
 * Builds a snapshot from training data: index maps, weighted matrices, and each selected model.
 *
 * @example
 * const snapshot = buildSnapshot(data);                       // default models, default hybrid
 * const small = buildSnapshot(data, { models: ['popular', 'ease'], ease: { lambda: 200 } });
 */
export function buildSnapshot(data: TrainingData, options: BuildOptions = {}): ModelSnapshot {
  const opts = resolveBuildOptions(options);
  const t0 = performance.now();
  const { ctx, stats } = buildBase(data, opts.weights, opts.halfLifeDays, options.now);
  const buildMs: Record<string, number> = { base: performance.now() - t0 };
  const notes: string[] = [];
  const timed = <T>(name: string, build: () => T): T => {
    const start = performance.now();
    const result = build();
    buildMs[name] = performance.now() - start;
    return result;
  };

  const wantHybrid = opts.models.includes('hybrid');
  const components = new Map<ComponentName, Recommender>();
  const popular = timed('popular', () => fitPopular(ctx, opts.popular));
  components.set('popular', popular);
  for (const name of COMPONENT_MODELS) {
    if (name === 'popular') continue;
    if (!opts.models.includes(name) && !(wantHybrid && needed(opts.hybrid, name))) continue;
    components.set(
      name,
      timed(name, () => fitComponent(ctx, name, opts, notes)),
    );
  }
  if (wantHybrid) {
    components.set(
      'sequence',
      timed('sequence', () => fitSequence(ctx, opts.sequence)),
    );
    components.set(
      'trend',
      timed('trend', () => fitTrend(ctx, opts.trend)),
    );
  }
  const models = new Map<ModelName, Recommender>();
  for (const name of opts.models) {
    if (name === 'hybrid') continue;
    if (name === 'seed-hybrid')
      models.set(
        name,
        timed(name, () => fitSeedHybrid(ctx, opts.seedHybrid)),
      );
    else models.set(name, components.get(name)!);
  }
  if (wantHybrid) models.set('hybrid', blend(components, opts.hybrid, ctx.base.nPosts));
  buildMs.total = performance.now() - t0;

  const base = ctx.base;
  const freshFrom = base.now - opts.compose.freshMaxAgeDays * 86_400;
  const fresh: number[] = [];
  for (let c = 0; c < base.nPosts; c++) if (base.postCreatedAt[c]! >= freshFrom) fresh.push(c);
  return Object.freeze({
    base,
    models,
    components,
    popular,
    options: opts,
    stats: { ...stats, buildMs, notes },
    freshCols: Int32Array.from(fresh),
    scratch: {
      scores: new Float32Array(base.nPosts),
      seen: new Uint8Array(base.nPosts),
      used: new Uint8Array(base.nPosts),
    },
  });
}

function fitComponent(
  ctx: BuildContext,
  name: Exclude<(typeof COMPONENT_MODELS)[number], 'popular'>,
  opts: ResolvedBuildOptions,
  notes: string[],
): Recommender {
  switch (name) {
    case 'itemknn':
      return fitItemKnn(ctx, opts.itemknn);
    case 'ease': {
      const model = fitEase(ctx, opts.ease);
      if (model.items.length < ctx.base.nPosts) {
        notes.push(
          `ease restricted to the ${model.items.length} most interacted of ${ctx.base.nPosts} posts (ease.maxItems)`,
        );
      }
      return model;
    }
    case 'ials':
      return fitIals(ctx, opts.ials);
    case 'content':
      return fitContent(ctx, opts.content);
  }
}

function blend(
  components: ReadonlyMap<ComponentName, Recommender>,
  params: HybridParams,
  nPosts: number,
): HybridModel {
  for (const [name, w] of [...Object.entries(params.weights), ...Object.entries(params.coldWeights)]) {
    if (w > 0 && !components.has(name as ComponentName)) {
      throw new FeedError(
        'config_invalid',
        `hybrid weight for '${name}' is ${w} but that component is not built in this snapshot; ` +
          `built: ${[...components.keys()].join(', ')}`,
      );
    }
  }
  // Blend in a fixed order so that floating-point sums do not depend on build order.
  const ordered = new Map(
    [...components].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  ) as ReadonlyMap<ComponentName, Recommender>;
  return makeHybrid(ordered, params, nPosts);
}

/**
 * A snapshot sharing every fitted model of `snapshot` but with a re-weighted hybrid: the way to tune
 * blend weights without refitting. Components with a positive weight must have been built.
 *
 * @example withHybridWeights(snapshot, { weights: { ease: 1, trend: 0.5 } })
 */
export function withHybridWeights(snapshot: ModelSnapshot, hybrid: HybridOptions): ModelSnapshot {
  const params = resolveHybrid(snapshot.options.hybrid, hybrid);
  const models = new Map(snapshot.models);
  models.set('hybrid', blend(snapshot.components, params, snapshot.base.nPosts));
  const opts = { ...snapshot.options, hybrid: params };
  if (!opts.models.includes('hybrid')) opts.models = [...opts.models, 'hybrid'];
  return Object.freeze({ ...snapshot, models, options: opts });
}
