// What GET /admin/experiments answers: each experiment arm's online metrics over the retained impressions
// (or the last `days`), with 95% Wilson intervals for the rates per impression and, for every arm after
// the first (the control), a two-proportion z-test of each rate against the control's.
import type { Kysely } from 'kysely';
import { twoProportionZTest, wilsonInterval } from '../shared/proportions.js';
import { onlineMetrics } from '../store/impressions.js';
import type { Database } from '../store/schema.js';
import type { Experiment } from './experiments.js';

/** Share of impressions with at least one event of a kind. */
export interface RateFigure {
  /** Impressions with at least one such event. */
  count: number;
  rate: number;
  /** 95% Wilson score interval. */
  ci_low: number;
  ci_high: number;
}

export interface Comparison {
  /** This arm's rate minus the control's. */
  difference: number;
  z: number;
  p_value: number;
  /** p_value < 0.05. */
  significant: boolean;
}

const KINDS = ['view', 'like', 'inspire'] as const;
type Kind = (typeof KINDS)[number];

export interface ArmReport {
  name: string;
  model: string;
  share: number;
  /** `experiment:arm`, the impressions' and the Prometheus counters' arm label. */
  label: string;
  impressions: number;
  view_rate: RateFigure;
  like_rate: RateFigure;
  inspire_rate: RateFigure;
  engaged_posts: number;
  /** Mean of 1/position over engaged posts (0 when none). */
  mean_reciprocal_rank: number;
  /** Null for the control (the first arm). */
  vs_control: Record<`${Kind}_rate`, Comparison> | null;
}

export interface ExperimentReport {
  name: string;
  traffic: number;
  control: string;
  arms: ArmReport[];
}

export interface ExperimentsReport {
  /** ISO start of the period counted, or null for every retained impression. */
  since: string | null;
  experiments: ExperimentReport[];
}

type Totals = {
  impressions: number;
  view: number;
  like: number;
  inspire: number;
  engaged: number;
  rr: number;
};

/**
 * The report of `experiments` from the stored impressions and attributions.
 * @example const report = await experimentsReport(store.db, experiments, { fromMs: Date.now() - 7 * 86_400_000 });
 */
export async function experimentsReport(
  db: Kysely<Database>,
  experiments: readonly Experiment[],
  { fromMs }: { fromMs?: number } = {},
): Promise<ExperimentsReport> {
  const labels = experiments.flatMap((e) => e.arms.map((a) => `${e.name}:${a.name}`));
  const rows = await onlineMetrics(db, { arms: labels, ...(fromMs === undefined ? {} : { fromMs }) });
  const totals = new Map<string, Totals>();
  for (const r of rows) {
    const t = totals.get(r.arm) ?? { impressions: 0, view: 0, like: 0, inspire: 0, engaged: 0, rr: 0 };
    t.impressions += r.impressions;
    t.view += r.viewed;
    t.like += r.liked;
    t.inspire += r.inspired;
    t.engaged += r.engagedPosts;
    t.rr += r.meanReciprocalRank * r.engagedPosts;
    totals.set(r.arm, t);
  }
  const empty: Totals = { impressions: 0, view: 0, like: 0, inspire: 0, engaged: 0, rr: 0 };
  return {
    since: fromMs === undefined ? null : new Date(fromMs).toISOString(),
    experiments: experiments.map((e) => {
      const of = (arm: string) => totals.get(`${e.name}:${arm}`) ?? empty;
      const control = of(e.arms[0]!.name);
      return {
        name: e.name,
        traffic: e.traffic,
        control: e.arms[0]!.name,
        arms: e.arms.map((arm, i) => {
          const t = of(arm.name);
          const figure = (kind: Kind): RateFigure => {
            // An attribution may be stored before its impression (still in a buffer): count ≤ impressions.
            const count = Math.min(t[kind], t.impressions);
            const ci = wilsonInterval(count, t.impressions);
            return {
              count,
              rate: t.impressions === 0 ? 0 : count / t.impressions,
              ci_low: ci.low,
              ci_high: ci.high,
            };
          };
          const compare = (kind: Kind): Comparison => {
            const test = twoProportionZTest(
              Math.min(control[kind], control.impressions),
              control.impressions,
              Math.min(t[kind], t.impressions),
              t.impressions,
            );
            return {
              difference: test.difference,
              z: test.z,
              p_value: test.pValue,
              significant: test.significant,
            };
          };
          return {
            name: arm.name,
            model: arm.model,
            share: arm.share,
            label: `${e.name}:${arm.name}`,
            impressions: t.impressions,
            view_rate: figure('view'),
            like_rate: figure('like'),
            inspire_rate: figure('inspire'),
            engaged_posts: t.engaged,
            mean_reciprocal_rank: t.engaged === 0 ? 0 : t.rr / t.engaged,
            vs_control:
              i === 0
                ? null
                : {
                    view_rate: compare('view'),
                    like_rate: compare('like'),
                    inspire_rate: compare('inspire'),
                  },
          };
        }),
      };
    }),
  };
}
