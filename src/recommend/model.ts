// The shape every model has: a registry entry that names it, declares its options with their defaults
// and tuning grid, fits plain-data state, and scores with pure functions that take their scratch buffers
// per call. `bindModel` turns an entry plus a state into the `Recommender` the feed and the blend use.
import type { BuildContext, SnapshotBase } from './base.js';
import type { HistoryRecency } from './defaults.js';
import type { UserHistory } from './history.js';
import type { CandidateScores, Recommender, ScoreOptions, SparseScores } from './models/recommender.js';

/**
 * Buffers a scoring call may reuse, owned by one thread and one snapshot (calls are synchronous, so one
 * set per thread suffices). Keys are namespaced by the model that asks.
 */
export class Scratch {
  private readonly buffers = new Map<string, Float32Array | Int32Array | Uint8Array>();
  private readonly memos = new Map<string, unknown>();

  /** A zero-filled Float32Array of `length` on first use; the caller leaves it as it found it, or refills. */
  floats(key: string, length: number): Float32Array {
    return this.get(key, length, Float32Array);
  }

  ints(key: string, length: number): Int32Array {
    return this.get(key, length, Int32Array);
  }

  /** A Uint8Array of `length`; callers that mark entries clear their marks before returning. */
  bytes(key: string, length: number): Uint8Array {
    return this.get(key, length, Uint8Array);
  }

  /** A value derived once per thread from immutable state (e.g. a normalised score vector). */
  memo<T>(key: string, make: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const value = make();
    this.memos.set(key, value);
    return value;
  }

  private get<T extends Float32Array | Int32Array | Uint8Array>(
    key: string,
    length: number,
    Ctor: new (n: number) => T,
  ): T {
    let buf = this.buffers.get(key);
    if (buf === undefined || buf.length < length || !(buf instanceof Ctor)) {
      buf = new Ctor(length);
      this.buffers.set(key, buf);
    }
    return (buf.length === length ? buf : buf.subarray(0, length)) as T;
  }
}

/** What a scoring function sees besides its own state: the snapshot core, its parameters, scratch. */
export interface ModelEnv<P> {
  readonly base: SnapshotBase;
  readonly params: P;
  readonly scratch: Scratch;
  /** The snapshot's fitted blend components, in blend order (the hybrid scores through them). */
  readonly components: ReadonlyMap<string, Recommender>;
}

/** Default blend settings a component brings to the hybrid (overridable through `hybrid` options). */
export interface BlendDefaults {
  weight: number;
  /** Weight for users with at most `hybrid.coldHistoryMax` interactions. */
  coldWeight: number;
  /** How the hybrid weights the user's history when it asks this component (default: its own). */
  recency?: HistoryRecency;
}

/** Values tried per option when tuning; `stage` says where the option is judged. */
export interface TuneSpec<P> {
  /** `standalone`: on the model's own ranking; `hybrid`: inside the blend (signals with no ranking of their own). */
  stage: 'standalone' | 'hybrid';
  grid: { [K in keyof P]?: readonly P[K][] };
}

/**
 * One registry entry. `fit` returns the model's whole fitted state as plain data (typed arrays, numbers,
 * strings and objects of those: checked when the snapshot is encoded); every scoring function
 * is pure in (state, env, history) and writes only into `out` and `env.scratch`.
 */
export interface ModelDefinition<
  N extends string = string,
  K extends string = string,
  Sel extends boolean = boolean,
  P extends object = object,
  S = unknown,
> {
  readonly name: N;
  /** The key of its options in `BuildOptions` (e.g. `seedHybrid` for `seed-hybrid`). */
  readonly optionsKey: K;
  /** Selectable by name for feeds and evaluation. */
  readonly selectable: Sel;
  /** Present when the model can be a part of the hybrid blend. */
  readonly blend?: BlendDefaults;
  readonly defaults: Readonly<P>;
  /** Checks resolved options, throwing `FeedError('config_invalid')` naming what is accepted. */
  readonly validate?: (params: P) => void;
  readonly tune?: TuneSpec<P>;
  /** Describes a decision the fit took that operators should know of (e.g. a restricted catalogue). */
  readonly note?: (state: S, base: SnapshotBase) => string | null;
  fit(ctx: BuildContext, params: P): S;
  score(state: S, env: ModelEnv<P>, history: UserHistory, out: Float32Array, options?: ScoreOptions): boolean;
  scoreSparse?(
    state: S,
    env: ModelEnv<P>,
    history: UserHistory,
    out: Float32Array,
    touched: Int32Array,
    options?: ScoreOptions,
  ): SparseScores | null;
  /** Two-stage scoring (see `Recommender.scoreCandidates`). */
  scoreCandidates?(
    state: S,
    env: ModelEnv<P>,
    history: UserHistory,
    out: Float32Array,
    cols: Int32Array,
    mark: Uint8Array,
  ): CandidateScores | null;
  /** Scores that do not depend on the user (popularity). */
  staticScores?(state: S): Float32Array;
  /** Scores that depend on the history only through a small integer key (see `Recommender.scoreKey`). */
  scoreKey?(state: S, env: ModelEnv<P>, history: UserHistory): number;
  explain?(state: S, env: ModelEnv<P>, history: UserHistory, col: number): string;
  explainMany?(state: S, env: ModelEnv<P>, history: UserHistory, cols: readonly number[]): string[];
}

/** Any registry entry, whatever its parameter and state types. */
// biome-ignore lint/suspicious/noExplicitAny: entries differ in P and S; the registry only passes them through
export type AnyModelDefinition = ModelDefinition<string, string, boolean, any, any>;

/**
 * Declares a registry entry, keeping its literal name and options key for the derived types.
 * @example export const toyModel = defineModel({ name: 'toy', optionsKey: 'toy', selectable: true, … });
 */
export function defineModel<
  const N extends string,
  const K extends string,
  const Sel extends boolean,
  P extends object,
  S,
>(definition: ModelDefinition<N, K, Sel, P, S>): ModelDefinition<N, K, Sel, P, S> {
  return definition;
}

/** The `Recommender` of one fitted state: thin methods that pass state, env and scratch to the entry. */
export function bindModel<P extends object, S>(
  def: ModelDefinition<string, string, boolean, P, S>,
  state: S,
  env: ModelEnv<P>,
): Recommender {
  const rec: Recommender = {
    name: def.name,
    scoreUser: (history, out, options) => def.score(state, env, history, out, options),
  };
  const mutable = rec as {
    -readonly [K in keyof Recommender]: Recommender[K];
  };
  if (def.scoreSparse) {
    const sparse = def.scoreSparse;
    mutable.scoreSparse = (history, out, touched, options) =>
      sparse(state, env, history, out, touched, options);
  }
  if (def.scoreCandidates) {
    const candidates = def.scoreCandidates;
    mutable.scoreCandidates = (history, out, cols, mark) => candidates(state, env, history, out, cols, mark);
  }
  if (def.staticScores) mutable.staticScores = def.staticScores(state);
  if (def.scoreKey) {
    const key = def.scoreKey;
    mutable.scoreKey = (history) => key(state, env, history);
  }
  if (def.explain) {
    const explain = def.explain;
    mutable.explain = (history, col) => explain(state, env, history, col);
  }
  if (def.explainMany) {
    const many = def.explainMany;
    mutable.explainMany = (history, cols) => many(state, env, history, cols);
  }
  return rec;
}
