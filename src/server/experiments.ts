// A/B experiments on the served feed: declared in configuration (EXPERIMENTS: JSON text or a JSON file),
// validated once with every problem named; each user is assigned to an arm by a hash of the experiment's
// name and the user id (32-bit FNV-1a with MurmurHash3's finaliser), so the assignment is the same on every replica and after every
// restart, with no state. The arm decides which model of the snapshot ranks that user's /feed (and the
// request-time parameters it may override); the impression's arm is `experiment:arm`.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MODEL_NAMES, resolveCompose } from '../recommend/index.js';
import { describeError, FeedError } from '../shared/errors.js';

/** Experiment and arm names: no `:` (the impression's arm is `experiment:arm`), safe as metric labels. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const name = (what: string) =>
  z
    .string({ message: `${what} must be a name (letters, digits, _ . -; at most 64)` })
    .regex(NAME, `${what} must be a name (letters, digits, _ . -; at most 64)`);

const number = (key: string) =>
  z.number({ message: `params.composition.${key} must be a number` }).optional();

/**
 * Composition rules an arm may set for its users' feeds, over the snapshot's own (which posts count as
 * fresh, `freshMaxAgeDays`, is the build's). Values follow the build's rules for the same options.
 */
const ArmComposition = z
  .object({
    maxCategoryRun: number('maxCategoryRun'),
    maxCreatorRun: number('maxCreatorRun'),
    freshEvery: number('freshEvery'),
    freshMinScoreRatio: number('freshMinScoreRatio'),
  })
  .strict()
  .superRefine((given, ctx) => {
    try {
      resolveCompose(given);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: describeError(error) });
    }
  });

/**
 * What an arm may override per request. Build-time parameters (model hyper-parameters, blend weights)
 * are one snapshot's for every user, so arms differ by the built model they rank with and these.
 */
const ArmParams = z
  .object({
    compose: z
      .boolean({ message: 'params.compose must be true or false' })
      .optional()
      .describe("false serves the model's raw ranking, without the composition rules"),
    composition: ArmComposition.optional().describe(
      'composition rules for this arm (maxCategoryRun, maxCreatorRun, freshEvery, freshMinScoreRatio)',
    ),
  })
  .strict();

const ArmSchema = z
  .object({
    name: name('arm name'),
    model: z.enum(MODEL_NAMES, { message: `model must be one of ${MODEL_NAMES.join(', ')}` }),
    share: z
      .number({ message: 'share must be a number in (0, 1]' })
      .gt(0, 'share must be a number in (0, 1]')
      .max(1, 'share must be a number in (0, 1]'),
    params: ArmParams.optional(),
  })
  .strict();

const ExperimentSchema = z
  .object({
    name: name('experiment name'),
    /** Share of users in the experiment (default 1); the others get the default feed. */
    traffic: z
      .number({ message: 'traffic must be a number in (0, 1]' })
      .gt(0, 'traffic must be a number in (0, 1]')
      .max(1, 'traffic must be a number in (0, 1]')
      .default(1),
    arms: z.array(ArmSchema).min(2, 'arms must list at least two arms (the first is the control)'),
  })
  .strict()
  .superRefine((e, ctx) => {
    const total = e.arms.reduce((s, a) => s + a.share, 0);
    if (Math.abs(total - 1) > 1e-9) {
      ctx.addIssue({ code: 'custom', path: ['arms'], message: `arm shares must sum to 1, got ${total}` });
    }
    const seen = new Set<string>();
    for (const [i, arm] of e.arms.entries()) {
      if (seen.has(arm.name))
        ctx.addIssue({
          code: 'custom',
          path: ['arms', i, 'name'],
          message: `arm name "${arm.name}" is repeated`,
        });
      seen.add(arm.name);
    }
  });

const ExperimentsSchema = z.array(ExperimentSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  for (const [i, e] of list.entries()) {
    if (seen.has(e.name))
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `experiment name "${e.name}" is repeated` });
    seen.add(e.name);
  }
});

export type ExperimentArm = z.infer<typeof ArmSchema>;
export type Experiment = z.infer<typeof ExperimentSchema>;
export type ExperimentInput = z.input<typeof ExperimentSchema>;

const invalid = (message: string, cause?: unknown) =>
  new FeedError('config_invalid', `EXPERIMENTS: ${message}`, cause === undefined ? undefined : { cause });

/**
 * Validates experiments given as values (one experiment or a list). Throws `FeedError('config_invalid')`
 * naming every problem with its place, e.g. `EXPERIMENTS[0].arms: arm shares must sum to 1, got 0.9`.
 * @example const experiments = validateExperiments([{ name: 'ranker', arms: [{ name: 'control', model: 'hybrid', share: 0.5 }, { name: 'ease', model: 'ease', share: 0.5 }] }]);
 */
export function validateExperiments(value: unknown): Experiment[] {
  const list = Array.isArray(value) ? value : [value];
  const parsed = ExperimentsSchema.safeParse(list);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const place = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (accepted: ${acceptedKeys(issue.path)})`
        : issue.message;
    return `EXPERIMENTS${place}: ${message}`;
  });
  throw new FeedError('config_invalid', `invalid experiments: ${problems.join('; ')}`);
}

/** The keys the object at `path` accepts, for an error message. */
function acceptedKeys(path: readonly PropertyKey[]): string {
  const last = path.at(-1);
  if (last === 'params') return Object.keys(ArmParams.shape).join(', ');
  if (last === 'composition') return Object.keys(ArmComposition.shape).join(', ');
  if (path.includes('arms')) return 'name, model, share, params';
  return 'name, traffic, arms';
}

/**
 * Experiments from the EXPERIMENTS setting: JSON text (starting with `[` or `{`) or the path of a JSON
 * file. Unset or blank: none.
 * @example parseExperiments('[{"name":"ranker","arms":[…]}]')
 */
export function parseExperiments(setting: string | undefined): Experiment[] {
  const text = setting?.trim() ?? '';
  if (text === '') return [];
  let json = text;
  if (!text.startsWith('[') && !text.startsWith('{')) {
    try {
      json = readFileSync(text, 'utf8');
    } catch (error) {
      throw invalid(`neither JSON nor a readable file: ${describeError(error)}`, error);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw invalid(`not valid JSON: ${describeError(error)}`, error);
  }
  return validateExperiments(value);
}

/**
 * 32-bit FNV-1a of a string's UTF-16 code units (all ASCII here: names and decimal ids).
 * @example fnv1a32('a') // 0xe40c292c
 */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * MurmurHash3's 32-bit finaliser: FNV-1a alone mixes its last characters into the high bits weakly, so
 * consecutive ids (`…:41`, `…:42`) would land in structured, not uniform, buckets; this spreads every input
 * bit over the whole word.
 */
function fmix32(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Where `userId` falls in [0, 1) for an experiment: fmix32(FNV-1a(`${name}:${userId}`)) over 2³². */
export const bucketOf = (experiment: string, userId: number): number =>
  fmix32(fnv1a32(`${experiment}:${userId}`)) / 0x1_0000_0000;

/** The experiment and arm a user is in. */
export interface Assignment {
  experiment: string;
  arm: ExperimentArm;
  /** `experiment:arm`, the impressions' arm. */
  label: string;
}

/** The experiments in force. */
export class Experiments {
  constructor(readonly list: readonly Experiment[]) {}

  /**
   * The arm of the first experiment that includes `userId` (its `traffic`), or null. The user's bucket
   * picks the arm by cumulative share: the same answer on every process, forever.
   */
  assign(userId: number): Assignment | null {
    for (const e of this.list) {
      const u = bucketOf(e.name, userId);
      if (u >= e.traffic) continue;
      const position = u / e.traffic;
      let cumulative = 0;
      let chosen = e.arms[e.arms.length - 1]!;
      for (const arm of e.arms) {
        cumulative += arm.share;
        if (position < cumulative) {
          chosen = arm;
          break;
        }
      }
      return { experiment: e.name, arm: chosen, label: `${e.name}:${chosen.name}` };
    }
    return null;
  }

  /** Throws `config_invalid` when an arm names a model `available` (the snapshot's) does not hold. */
  checkModels(available: readonly string[], what: string): void {
    const missing = this.list.flatMap((e) =>
      e.arms
        .filter((a) => !available.includes(a.model))
        .map((a) => `experiment "${e.name}" arm "${a.name}" ranks with "${a.model}"`),
    );
    if (missing.length > 0) {
      throw new FeedError(
        'config_invalid',
        `EXPERIMENTS name models ${what} does not hold: ${missing.join('; ')}. It holds ${available.join(', ')}; ` +
          'build the missing models (build options) or choose among those',
      );
    }
  }
}
