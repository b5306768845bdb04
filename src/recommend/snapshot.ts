// A model snapshot in two forms. `SnapshotData` is plain data: the shared base, each fitted entry's
// state, the resolved options and build stats — what the artifact stores and threads share. A
// `ModelSnapshot` is that data opened for scoring: each state bound to its registry entry with this
// thread's scratch buffers. Build once per sync (`fitSnapshot`), open anywhere (`openSnapshot`).
import { FeedError } from '../shared/errors.js';
import type { BaseStats, SnapshotBase } from './base.js';
import { buildBase } from './base.js';
import type { ComposeParams, InteractionWeights } from './defaults.js';
import {
  DEFAULT_COMPOSE,
  DEFAULT_HALF_LIFE_DAYS,
  DEFAULT_INTERACTION_WEIGHTS,
  DEFAULT_MODELS,
} from './defaults.js';
import { type AnyModelDefinition, bindModel, type ModelEnv, Scratch } from './model.js';
import type { HybridParams } from './models/hybrid.js';
import type { Recommender } from './models/recommender.js';
import type { PrecomputedRankings } from './precomputed.js';
import {
  blendOrder,
  entryOf,
  hybridDefaults,
  MODEL_REGISTRY,
  type ModelParamsByKey,
  type ModelRegistry,
  modelNames,
} from './registry.js';
import type { TrainingData } from './types.js';

/** One level of optional fields (nested plain objects such as `fieldWeights` or `weights` too). */
type PartialDeep<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };

/** Hybrid options: any subset of weights may be given; the rest keep their defaults. */
export type HybridOptions = PartialDeep<HybridParams>;

/** What to fit and how; every field defaults to the registry entries and `defaults.ts`. */
export type BuildOptions = {
  /** Models to fit (`popular` always is: it is the fallback). `hybrid` pulls in the components it blends. */
  models?: readonly string[];
  /** Interaction weights of the user × post matrix. */
  weights?: Partial<InteractionWeights>;
  /** Half-life (days) of interaction weights, back from `now`. */
  halfLifeDays?: number;
  /** Reference time, epoch seconds (default: `data.now`, else the latest interaction). */
  now?: number;
  compose?: Partial<ComposeParams>;
} & { [K in keyof ModelParamsByKey]?: PartialDeep<ModelParamsByKey[K]> } & Record<string, unknown>;

/** `BuildOptions` with every default filled in (entries of an extended registry under their keys too). */
export type ResolvedBuildOptions = {
  models: readonly string[];
  weights: InteractionWeights;
  halfLifeDays: number;
  compose: ComposeParams;
} & ModelParamsByKey &
  Record<string, unknown>;

export interface SnapshotStats extends BaseStats {
  /** Milliseconds per fitted part, plus `base` and `total`. */
  buildMs: Record<string, number>;
  /** Notable decisions taken during the build (e.g. EASE restricted to the most interacted posts). */
  notes: string[];
}

/** A fitted snapshot as plain data: what is stored, shared between threads and opened for scoring. */
export interface SnapshotData {
  readonly base: SnapshotBase;
  /** Fitted state per registry entry name (every fitted model and blend component). */
  readonly states: Readonly<Record<string, unknown>>;
  readonly options: ResolvedBuildOptions;
  readonly stats: SnapshotStats;
  /** Posts fresh enough for the feed's reserved slots (columns ascending). */
  readonly freshCols: Int32Array;
  /** Per-user rankings of the default model, when the build precomputed them (`precomputed.ts`). */
  readonly rankings?: PrecomputedRankings;
}

/** Per-snapshot buffers of the feed (requests are synchronous, so one set per thread suffices). */
export interface FeedScratch {
  scores: Float32Array;
  seen: Uint8Array;
  used: Uint8Array;
  /** A two-stage model's candidate columns and their marks (all zero between requests). */
  cands: Int32Array;
  candMark: Uint8Array;
}

/** A snapshot opened for scoring in this thread: share it between requests; open a new one per build. */
export interface ModelSnapshot {
  readonly data: SnapshotData;
  readonly base: SnapshotBase;
  /** Selectable models fitted, by name (always includes `popular`). */
  readonly models: ReadonlyMap<string, Recommender>;
  /** Fitted blend components (models and hybrid-only signals), in blend order. */
  readonly components: ReadonlyMap<string, Recommender>;
  /** Each fitted entry's scoring environment (parameters, scratch, components). */
  readonly envs: ReadonlyMap<string, ModelEnv<object>>;
  readonly popular: Recommender;
  /** `popular`'s scores per column (the fresh slots' order). */
  readonly popularScores: Float32Array;
  readonly options: ResolvedBuildOptions;
  readonly stats: SnapshotStats;
  readonly freshCols: Int32Array;
  /** Every model name the registry offers (built or not), for error messages. */
  readonly modelNames: readonly string[];
  /** @internal */
  readonly scratch: FeedScratch;
}

export interface RegistryOption {
  /** Model registry (default: the built-in `MODEL_REGISTRY`). */
  registry?: ModelRegistry;
}

export interface FitOptions extends RegistryOption {
  /** Called as each step starts (`base`, then each entry fitted): for progress displays. */
  onStep?: (step: string, index: number, steps: number) => void;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** defaults ← given, one level deep for nested plain objects. */
function merge<P extends object>(defaults: P, given: unknown, what: string): P {
  if (given === undefined) return structuredClone(defaults);
  if (!isPlainObject(given)) throw new FeedError('config_invalid', `${what} must be an object of options`);
  const out: Record<string, unknown> = structuredClone(defaults) as Record<string, unknown>;
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(out[k]) && isPlainObject(v) ? { ...out[k], ...v } : v;
  }
  return out as P;
}

function checkWeights(what: string, weights: Record<string, number>, known: readonly string[]): void {
  for (const [k, v] of Object.entries(weights)) {
    if (!known.includes(k)) {
      throw new FeedError(
        'config_invalid',
        `${what}: unknown component '${k}'; accepted: ${known.join(', ')}`,
      );
    }
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new FeedError('config_invalid', `${what}.${k} must be a finite number ≥ 0, got ${v}`);
    }
  }
}

/** Composition rules: defaults ← given, each checked (`FeedError('config_invalid')` naming what is accepted). */
export function resolveCompose(given: Partial<ComposeParams> | undefined): ComposeParams {
  const compose = merge({ ...DEFAULT_COMPOSE }, given, 'compose');
  for (const [k, v] of Object.entries(compose)) {
    if (!(k in DEFAULT_COMPOSE)) {
      throw new FeedError(
        'config_invalid',
        `compose: unknown option '${k}'; accepted: ${Object.keys(DEFAULT_COMPOSE).join(', ')}`,
      );
    }
    const integer = k === 'maxCategoryRun' || k === 'maxCreatorRun' || k === 'freshEvery';
    const ok =
      typeof v === 'number' &&
      v >= 0 &&
      (integer ? Number.isInteger(v) || v === Number.POSITIVE_INFINITY : Number.isFinite(v)) &&
      (k !== 'freshMinScoreRatio' || v <= 1) &&
      (k === 'freshEvery' || !integer || v >= 1);
    if (!ok) {
      const accepted =
        k === 'freshMinScoreRatio'
          ? 'a number 0..1'
          : k === 'freshEvery'
            ? 'an integer ≥ 0 (0 = no fresh slots)'
            : integer
              ? 'an integer ≥ 1'
              : 'a finite number ≥ 0';
      throw new FeedError('config_invalid', `compose.${k} must be ${accepted}, got ${String(v)}`);
    }
  }
  return compose;
}

/** The hybrid's parameters: `base` ← `options` (weights and recency per component). */
export function resolveHybrid(
  base: HybridParams,
  options: HybridOptions | undefined,
  components: readonly string[],
): HybridParams {
  const o = options ?? {};
  const params: HybridParams = {
    weights: { ...base.weights, ...(o.weights as Record<string, number> | undefined) },
    coldWeights: { ...base.coldWeights, ...(o.coldWeights as Record<string, number> | undefined) },
    coldHistoryMax: o.coldHistoryMax ?? base.coldHistoryMax,
    normalisation: o.normalisation ?? base.normalisation,
    recency: { ...base.recency, ...(o.recency as HybridParams['recency'] | undefined) },
  };
  checkWeights('hybrid.weights', params.weights, components);
  checkWeights('hybrid.coldWeights', params.coldWeights, components);
  return params;
}

/** Fills in defaults and checks option values, naming what is accepted. */
export function resolveBuildOptions(
  options: BuildOptions = {},
  { registry = MODEL_REGISTRY }: RegistryOption = {},
): ResolvedBuildOptions {
  const selectable = modelNames(registry);
  const models = [...new Set(options.models ?? DEFAULT_MODELS)];
  for (const m of models) {
    if (!selectable.includes(m)) {
      throw new FeedError(
        'config_invalid',
        `models: unknown model '${m}'; accepted: ${selectable.join(', ')}`,
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
  const resolved: Record<string, unknown> = {
    models,
    weights,
    halfLifeDays,
    compose: resolveCompose(options.compose),
  };
  if (options.now !== undefined) resolved.now = options.now;
  const components = blendOrder(registry).map((d) => d.name);
  for (const def of registry) {
    const given = options[def.optionsKey];
    const params =
      def.name === 'hybrid'
        ? resolveHybrid(hybridDefaults(registry), given as HybridOptions | undefined, components)
        : merge(def.defaults, given, def.optionsKey);
    def.validate?.(params);
    resolved[def.optionsKey] = params;
  }
  return resolved as ResolvedBuildOptions;
}

const paramsOf = (opts: ResolvedBuildOptions, def: AnyModelDefinition) => opts[def.optionsKey] as object;

/** The entries a build fits for `opts`: popular, the selected models, and the components the hybrid blends. */
function entriesToFit(opts: ResolvedBuildOptions, registry: ModelRegistry): AnyModelDefinition[] {
  const wanted = new Set(opts.models);
  if (wanted.has('hybrid')) {
    const hybrid = opts.hybrid as HybridParams;
    for (const def of blendOrder(registry)) {
      if ((hybrid.weights[def.name] ?? 0) > 0 || (hybrid.coldWeights[def.name] ?? 0) > 0)
        wanted.add(def.name);
    }
  }
  return registry.filter((d) => wanted.has(d.name));
}

/**
 * Fits a snapshot from training data: index arrays, weighted matrices, and each selected model's state.
 *
 * @example const data = fitSnapshot(training, { models: ['popular', 'ease'], ease: { lambda: 200 } });
 */
export function fitSnapshot(
  data: TrainingData,
  options: BuildOptions = {},
  { registry = MODEL_REGISTRY, onStep }: FitOptions = {},
): SnapshotData {
  const opts = resolveBuildOptions(options, { registry });
  const entries = entriesToFit(opts, registry);
  onStep?.('base', 0, entries.length + 1);
  const t0 = performance.now();
  const { ctx, stats } = buildBase(data, opts.weights, opts.halfLifeDays, options.now);
  const buildMs: Record<string, number> = { base: performance.now() - t0 };
  const notes: string[] = [];
  const states: Record<string, unknown> = {};
  for (const [i, def] of entries.entries()) {
    onStep?.(def.name, i + 1, entries.length + 1);
    const start = performance.now();
    const state = def.fit(ctx, paramsOf(opts, def));
    buildMs[def.name] = performance.now() - start;
    states[def.name] = state;
    const note = def.note?.(state, ctx.base);
    if (note) notes.push(note);
  }
  buildMs.total = performance.now() - t0;
  const base = ctx.base;
  const freshFrom = base.now - opts.compose.freshMaxAgeDays * 86_400;
  const fresh: number[] = [];
  for (let c = 0; c < base.nPosts; c++) if (base.postCreatedAt[c]! >= freshFrom) fresh.push(c);
  return {
    base,
    states,
    options: opts,
    stats: { ...stats, buildMs, notes },
    freshCols: Int32Array.from(fresh),
  };
}

/**
 * Opens snapshot data for scoring in this thread: binds every state to its entry with fresh scratch
 * buffers. Cheap (no refit, no copy of the arrays), so every serving thread opens the shared data.
 *
 * @example const snapshot = openSnapshot(decodeSnapshot(bytes).data);
 */
export function openSnapshot(
  data: SnapshotData,
  { registry = MODEL_REGISTRY }: RegistryOption = {},
): ModelSnapshot {
  const { base, options, states } = data;
  const scratch = new Scratch();
  const components = new Map<string, Recommender>();
  const envs = new Map<string, ModelEnv<object>>();
  const bound = new Map<string, Recommender>();
  for (const name of Object.keys(states)) {
    const def = entryOf(registry, name);
    const env: ModelEnv<object> = { base, params: paramsOf(options, def), scratch, components };
    envs.set(name, env);
    bound.set(name, bindModel(def, states[name], env));
  }
  for (const def of blendOrder(registry)) {
    const rec = bound.get(def.name);
    if (rec) components.set(def.name, rec);
  }
  if (options.models.includes('hybrid')) {
    const hybrid = options.hybrid as HybridParams;
    for (const [name, w] of [...Object.entries(hybrid.weights), ...Object.entries(hybrid.coldWeights)]) {
      if (w > 0 && !components.has(name)) {
        throw new FeedError(
          'config_invalid',
          `hybrid weight for '${name}' is ${w} but that component is not built in this snapshot; ` +
            `built: ${[...components.keys()].join(', ')}`,
        );
      }
    }
  }
  const models = new Map<string, Recommender>();
  for (const name of options.models) {
    if (name !== 'hybrid') models.set(name, bound.get(name)!);
  }
  if (options.models.includes('hybrid')) models.set('hybrid', bound.get('hybrid')!);
  const popular = bound.get('popular');
  if (!popular?.staticScores)
    throw new FeedError('config_invalid', "the registry's 'popular' entry is missing");
  return Object.freeze({
    data,
    base,
    models,
    components,
    envs,
    popular,
    popularScores: popular.staticScores,
    options,
    stats: data.stats,
    freshCols: data.freshCols,
    modelNames: modelNames(registry),
    scratch: {
      scores: new Float32Array(base.nPosts),
      seen: new Uint8Array(base.nPosts),
      used: new Uint8Array(base.nPosts),
      cands: new Int32Array(base.nPosts),
      candMark: new Uint8Array(base.nPosts),
    },
  });
}

/**
 * Fits and opens a snapshot in this thread.
 *
 * @example
 * const snapshot = buildSnapshot(data);                       // default models, default hybrid
 * const small = buildSnapshot(data, { models: ['popular', 'ease'], ease: { lambda: 200 } });
 */
export function buildSnapshot(
  data: TrainingData,
  options: BuildOptions = {},
  registry: RegistryOption = {},
): ModelSnapshot {
  return openSnapshot(fitSnapshot(data, options, registry), registry);
}

/**
 * A snapshot sharing every fitted state of `snapshot` but with a re-weighted hybrid: the way to tune
 * blend weights without refitting. Components with a positive weight must have been built.
 *
 * @example withHybridWeights(snapshot, { weights: { ease: 1, trend: 0.5 } })
 */
export function withHybridWeights(
  snapshot: ModelSnapshot,
  hybrid: HybridOptions,
  { registry = MODEL_REGISTRY }: RegistryOption = {},
): ModelSnapshot {
  const components = blendOrder(registry).map((d) => d.name);
  const params = resolveHybrid(snapshot.options.hybrid as HybridParams, hybrid, components);
  const options = { ...snapshot.options, hybrid: params } as ResolvedBuildOptions;
  if (!options.models.includes('hybrid')) options.models = [...options.models, 'hybrid'];
  const states = { ...snapshot.data.states, hybrid: null };
  return openSnapshot({ ...snapshot.data, states, options }, { registry });
}
