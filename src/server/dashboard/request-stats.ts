// Live request figures per route from the service's own Prometheus histogram (metrics.ts): requests per
// second and p50/p99 latency over the last minute, and the request rate over the last minutes. The
// histogram only ever grows, so figures for a window are the difference of two samples of it; latency
// quantiles are interpolated inside the histogram's buckets the way Prometheus' histogram_quantile is.
import type { Histogram } from 'prom-client';

/** Cumulative figures of one route at one instant (summed over statuses). */
interface RouteSample {
  count: number;
  serverErrors: number;
  /** Cumulative count per bucket upper bound (seconds; Infinity last). */
  buckets: Map<number, number>;
}

interface Sample {
  at: number;
  routes: Map<string, RouteSample>;
}

/** One route's figures. */
export interface RouteStats {
  method: string;
  route: string;
  /** Requests answered in the window. */
  requests: number;
  perSecond: number;
  /** Latency quantiles over the window, seconds; null without requests. */
  p50: number | null;
  p99: number | null;
  /** The quantile fell in the histogram's open top bucket: the value is a lower bound. */
  p99AtLeast: boolean;
  /** 5xx answers in the window. */
  serverErrors: number;
  /** Requests answered since the service started. */
  total: number;
}

export interface RequestSummary {
  /** Seconds the window actually spans (shorter than asked for right after start). */
  windowSeconds: number;
  routes: RouteStats[];
  /** Requests per second over all shown routes, one point per sampling interval, oldest first. */
  series: { at: string; perSecond: number }[];
}

export interface RequestStatsOptions {
  /** Window of the rate and quantiles. */
  windowMs?: number;
  /** How often the histogram is sampled. */
  intervalMs?: number;
  /** How far back the rate series reaches. */
  historyMs?: number;
  /** Routes shown (default: all but the dashboard's own, whose polling would crowd the service's). */
  include?: (route: string) => boolean;
  now?: () => number;
}

type Labels = 'route' | 'method' | 'status';

/**
 * The `q` quantile of a histogram given as cumulative bucket counts (ascending bounds, Infinity last).
 * @example quantileOf([[0.01, 5], [0.1, 10], [Infinity, 10]], 0.5) // { value: 0.01, atLeast: false }
 */
export function quantileOf(
  buckets: readonly (readonly [number, number])[],
  q: number,
): { value: number; atLeast: boolean } | null {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      // The open top bucket has no upper bound: the best answer is the highest finite one.
      if (bound === Number.POSITIVE_INFINITY) return { value: lowerBound, atLeast: true };
      const inBucket = count - lowerCount;
      const fraction = inBucket > 0 ? (rank - lowerCount) / inBucket : 1;
      return { value: lowerBound + (bound - lowerBound) * fraction, atLeast: false };
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return { value: lowerBound, atLeast: true };
}

/** Samples the HTTP latency histogram on a timer and answers the figures of the last window. */
export class RequestStats {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly windowMs: number;
  private readonly intervalMs: number;
  private readonly historyMs: number;
  private readonly include: (route: string) => boolean;
  private readonly now: () => number;

  constructor(
    private readonly histogram: Histogram<Labels>,
    {
      windowMs = 60_000,
      intervalMs = 5_000,
      historyMs = 10 * 60_000,
      include = (route) => !route.startsWith('/dashboard'),
      now = Date.now,
    }: RequestStatsOptions = {},
  ) {
    this.windowMs = windowMs;
    this.intervalMs = intervalMs;
    this.historyMs = historyMs;
    this.include = include;
    this.now = now;
  }

  /** Takes the first sample and samples every interval until `stop()`. */
  async start(): Promise<void> {
    this.samples.push(await this.read());
    this.timer = setInterval(() => {
      this.read().then(
        (sample) => this.keep(sample),
        () => {
          // A failed read leaves a gap in the series; the next tick samples again.
        },
      );
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Figures of the last window, measured up to now. */
  async summary(): Promise<RequestSummary> {
    const current = await this.read();
    const since = current.at - this.windowMs;
    const base = this.samples.find((s) => s.at >= since) ?? this.samples[this.samples.length - 1] ?? current;
    const seconds = Math.max(1, (current.at - base.at) / 1000);
    const routes: RouteStats[] = [];
    for (const [key, now] of current.routes) {
      const before = base.routes.get(key);
      const requests = now.count - (before?.count ?? 0);
      const buckets = [...now.buckets].map(
        ([bound, count]) => [bound, count - (before?.buckets.get(bound) ?? 0)] as const,
      );
      const p50 = quantileOf(buckets, 0.5);
      const p99 = quantileOf(buckets, 0.99);
      const [method, route] = key.split(' ', 2) as [string, string];
      routes.push({
        method,
        route,
        requests,
        perSecond: requests / seconds,
        p50: p50?.value ?? null,
        p99: p99?.value ?? null,
        p99AtLeast: p99?.atLeast ?? false,
        serverErrors: now.serverErrors - (before?.serverErrors ?? 0),
        total: now.count,
      });
    }
    routes.sort((a, b) => b.requests - a.requests || b.total - a.total || a.route.localeCompare(b.route));
    return { windowSeconds: seconds, routes, series: this.series(current) };
  }

  /** One point per sampling interval, the interval still open (up to `current`) last. */
  private series(current: Sample): { at: string; perSecond: number }[] {
    const points: { at: string; perSecond: number }[] = [];
    const samples = [...this.samples];
    if (current.at - (samples[samples.length - 1]?.at ?? current.at) >= 1000) samples.push(current);
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1]!;
      const b = samples[i]!;
      const seconds = (b.at - a.at) / 1000;
      if (seconds <= 0) continue;
      points.push({ at: new Date(b.at).toISOString(), perSecond: (totalCount(b) - totalCount(a)) / seconds });
    }
    return points;
  }

  private keep(sample: Sample): void {
    this.samples.push(sample);
    const oldest = sample.at - Math.max(this.historyMs, this.windowMs);
    while (this.samples.length > 2 && this.samples[0]!.at < oldest) this.samples.shift();
  }

  private async read(): Promise<Sample> {
    const at = this.now();
    const { values } = await this.histogram.get();
    const routes = new Map<string, RouteSample>();
    for (const { labels, value, metricName } of values) {
      const route = String(labels.route ?? 'unmatched');
      if (!this.include(route)) continue;
      const key = `${labels.method ?? '?'} ${route}`;
      let entry = routes.get(key);
      if (entry === undefined) routes.set(key, (entry = { count: 0, serverErrors: 0, buckets: new Map() }));
      if (metricName?.endsWith('_bucket')) {
        // Bucket values carry an `le` label the route's label type does not name.
        const bound = (labels as { le?: string | number }).le;
        const le = bound === '+Inf' ? Number.POSITIVE_INFINITY : Number(bound);
        entry.buckets.set(le, (entry.buckets.get(le) ?? 0) + value);
      } else if (metricName?.endsWith('_count')) {
        entry.count += value;
        if (String(labels.status).startsWith('5')) entry.serverErrors += value;
      }
    }
    for (const entry of routes.values()) {
      entry.buckets = new Map([...entry.buckets].sort((a, b) => a[0] - b[0]));
    }
    return { at, routes };
  }
}

const totalCount = (sample: Sample) => {
  let n = 0;
  for (const r of sample.routes.values()) n += r.count;
  return n;
};
