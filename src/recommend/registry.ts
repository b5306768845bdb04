// The model registry: the one list that names every model and blend component. Model names, build
// options and their defaults, hybrid blend weights, evaluation and the tuning grid are all derived from
// it, so adding a model is its file plus one line here.
import { FeedError } from '../shared/errors.js';
import type { AnyModelDefinition } from './model.js';
import { contentModel } from './models/content.js';
import { easeModel } from './models/ease.js';
import { type HybridParams, hybridModel } from './models/hybrid.js';
import { ialsModel } from './models/ials.js';
import { itemKnnModel } from './models/itemknn.js';
import { popularModel } from './models/popular.js';
import { seedHybridModel } from './models/seed-hybrid.js';
import { sequenceModel } from './models/sequence.js';
import { trendModel } from './models/trend.js';

/** Every built-in entry. `popular` must be present: it is the fallback and the cold-start answer. */
export const MODEL_REGISTRY = [
  popularModel,
  seedHybridModel,
  itemKnnModel,
  easeModel,
  ialsModel,
  contentModel,
  sequenceModel,
  trendModel,
  hybridModel,
] as const;

/** A registry: built-in or extended (`[...MODEL_REGISTRY, myModel]`). */
export type ModelRegistry = readonly AnyModelDefinition[];

type Entry = (typeof MODEL_REGISTRY)[number];
type ParamsOf<E> = E extends { readonly defaults: Readonly<infer P> } ? P : never;

/** Models selectable by name (`FeedRequest.model`, `BuildOptions.models`). */
export type ModelName = Extract<Entry, { readonly selectable: true }>['name'];
/** Names of blend components (models and hybrid-only signals). */
export type ComponentName = Exclude<Entry['name'], 'hybrid' | 'seed-hybrid'>;

/** Each entry's resolved parameters under its `BuildOptions` key. */
export type ModelParamsByKey = {
  [K in Entry['optionsKey']]: ParamsOf<Extract<Entry, { readonly optionsKey: K }>>;
};

export const MODEL_NAMES = MODEL_REGISTRY.filter((d) => d.selectable).map(
  (d) => d.name,
) as readonly ModelName[];
/** Blend components of the built-in registry, in blend order. */
export const COMPONENT_NAMES = blendOrder(MODEL_REGISTRY).map((d) => d.name) as readonly ComponentName[];

/** Selectable names of a registry. */
export function modelNames(registry: ModelRegistry): string[] {
  return registry.filter((d) => d.selectable).map((d) => d.name);
}

/**
 * Blend components of a registry in blend order: by name, so floating-point sums do not depend on the
 * order entries were listed or fitted in.
 */
export function blendOrder(registry: ModelRegistry): AnyModelDefinition[] {
  return registry
    .filter((d) => d.blend !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The entry called `name`, or a `config_invalid` error listing the names known. */
export function entryOf(registry: ModelRegistry, name: string): AnyModelDefinition {
  const def = registry.find((d) => d.name === name);
  if (def === undefined) {
    throw new FeedError(
      'config_invalid',
      `unknown model '${name}'; accepted: ${registry.map((d) => d.name).join(', ')}`,
    );
  }
  return def;
}

/** The hybrid's defaults with every component's registry blend defaults filled in. */
export function hybridDefaults(registry: ModelRegistry): HybridParams {
  const own = (registry.find((d) => d.name === 'hybrid')?.defaults ?? hybridModel.defaults) as HybridParams;
  const params: HybridParams = { ...own, weights: {}, coldWeights: {}, recency: {} };
  for (const def of blendOrder(registry)) {
    const blend = def.blend!;
    params.weights[def.name] = blend.weight;
    params.coldWeights[def.name] = blend.coldWeight;
    if (blend.recency) params.recency[def.name] = { ...blend.recency };
  }
  return params;
}

/** The built-in hybrid defaults (blend weights as the component entries declare them). */
export const DEFAULT_HYBRID: Readonly<HybridParams> = Object.freeze(hybridDefaults(MODEL_REGISTRY));
