// Prometheus metrics of one server instance (its own prom-client registry): HTTP requests and latency by
// route, model build time, age and size, sync record counts per source, feed events.
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { SyncReport } from '../sync/sync.js';
import type { ModelInfo } from './model-protocol.js';

export interface ServerMetricsOptions {
  /** Also collect Node's process metrics (CPU, memory, event-loop lag). */
  processMetrics?: boolean;
  /** Clock (epoch ms) for the model age. */
  now?: () => number;
}

/** The server's metrics; `registry.metrics()` is what `/metrics` answers. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpDuration: Histogram<'route' | 'method' | 'status'>;
  readonly modelBuilds: Counter<'result'>;
  readonly modelBuildSeconds: Gauge;
  readonly snapshotSize: Gauge<'part'>;
  readonly syncRuns: Counter<'status'>;
  readonly syncRecords: Gauge<'source'>;
  readonly syncRecordsTotal: Counter<'source'>;
  readonly feedEvents: Counter<'type'>;
  readonly impressions: Counter<'arm' | 'route'>;
  readonly impressionsDropped: Counter<'reason'>;
  readonly attributedEvents: Counter<'arm' | 'type'>;
  readonly attributedReciprocalRank: Counter<'arm'>;
  readonly experimentFeeds: Counter<'experiment' | 'arm'>;
  private model: ModelInfo | null = null;
  /** Reads the live-event overlay's size at scrape time. */
  liveEventCount: () => number = () => 0;
  /** Reads the impression buffer's length at scrape time. */
  impressionsBuffered: () => number = () => 0;
  /** Reads the seconds batch processes spent paused for serving (batch-governor.ts) at scrape time. */
  batchPausedSeconds: () => number = () => 0;

  constructor({ processMetrics = true, now = Date.now }: ServerMetricsOptions = {}) {
    const registers = [this.registry];
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency, by route, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.modelBuilds = new Counter({
      name: 'model_builds_total',
      help: 'Model snapshot builds, by result',
      labelNames: ['result'],
      registers,
    });
    this.modelBuildSeconds = new Gauge({
      name: 'model_build_seconds',
      help: 'Seconds the snapshot in force took to build (training-data load excluded)',
      registers,
    });
    const holder = this;
    new Counter({
      name: 'batch_paused_seconds_total',
      help: 'Seconds sync and build processes were paused to leave the machine to busy serving threads',
      registers,
      collect() {
        this.reset();
        this.inc(holder.batchPausedSeconds());
      },
    });
    new Gauge({
      name: 'model_load_seconds',
      help: 'Seconds the snapshot in force took to load: its artifact read and verified (or, built in memory, its training data read)',
      registers,
      collect() {
        if (holder.model) this.set(holder.model.loadSeconds);
      },
    });
    new Gauge({
      name: 'model_age_seconds',
      help: 'Seconds since the snapshot in force was built',
      registers,
      collect() {
        if (holder.model) this.set((now() - Date.parse(holder.model.builtAt)) / 1000);
      },
    });
    new Gauge({
      name: 'model_generation',
      help: 'Generation number of the snapshot in force (increments at each swap)',
      registers,
      collect() {
        if (holder.model) this.set(holder.model.generation);
      },
    });
    new Gauge({
      name: 'model_snapshot_bytes',
      help: 'Size of the snapshot artifact in force (one copy shared by every worker)',
      registers,
      collect() {
        if (holder.model) this.set(holder.model.byteSize);
      },
    });
    /**
     * A gauge of value 1 labelled with what the snapshot in force says of itself: one series at a time,
     * reset at every scrape, so the previous snapshot's labels go with its swap.
     */
    const modelInfo = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      labelsOf: (m: ModelInfo) => Record<L, string>,
    ) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          if (holder.model) this.set(labelsOf(holder.model) as Partial<Record<L, string>>, 1);
        },
      });
    modelInfo(
      'model_snapshot_info',
      'The snapshot in force (value 1): its stored id, origin and the FeedEvent id it covers',
      ['snapshot_id', 'origin', 'feed_event_watermark', 'built_at'],
      (m) => ({
        snapshot_id: String(m.snapshotId ?? 'memory'),
        origin: m.origin,
        feed_event_watermark: String(m.feedEventWatermark),
        built_at: m.builtAt,
      }),
    );
    modelInfo(
      'model_configuration_info',
      'The configuration the snapshot in force was built with (value 1): tuned_id is the stored tuning (empowerverse tune) or "defaults"; serving_since is when this process swapped it in',
      ['tuned_id', 'serving_since'],
      (m) => ({
        tuned_id: m.tuned === null ? 'defaults' : String(m.tuned.id),
        serving_since: m.servingSince,
      }),
    );
    this.snapshotSize = new Gauge({
      name: 'model_snapshot_size',
      help: 'Size of the snapshot in force: users, posts, interactions, user-post pairs',
      labelNames: ['part'],
      registers,
    });
    this.syncRuns = new Counter({
      name: 'sync_runs_total',
      help: 'Syncs run by the server, by outcome',
      labelNames: ['status'],
      registers,
    });
    this.syncRecords = new Gauge({
      name: 'sync_last_records',
      help: 'Records received per source by the last sync',
      labelNames: ['source'],
      registers,
    });
    this.syncRecordsTotal = new Counter({
      name: 'sync_records_total',
      help: 'Records received per source by every sync the server ran',
      labelNames: ['source'],
      registers,
    });
    new Gauge({
      name: 'feed_live_events',
      help: 'Events received since the snapshot in force was built (applied per request until a rebuild)',
      registers,
      collect() {
        this.set(holder.liveEventCount());
      },
    });
    this.feedEvents = new Counter({
      name: 'feed_events_total',
      help: 'Events received through POST /events, by type',
      labelNames: ['type'],
      registers,
    });
    this.impressions = new Counter({
      name: 'feed_impressions_total',
      help: 'Served pages with posts (impressions), by arm (model, list or experiment:arm) and route',
      labelNames: ['arm', 'route'],
      registers,
    });
    this.impressionsDropped = new Counter({
      name: 'feed_impressions_dropped_total',
      help: 'Impressions not stored: the write buffer was full (overflow) or the database refused a batch and it did not fit back (store_failed)',
      labelNames: ['reason'],
      registers,
    });
    this.attributedEvents = new Counter({
      name: 'feed_attributed_events_total',
      help: 'Events attributed to an impression, by its arm and the event type',
      labelNames: ['arm', 'type'],
      registers,
    });
    this.attributedReciprocalRank = new Counter({
      name: 'feed_attributed_reciprocal_rank_sum',
      help: 'Sum of 1/position of attributed events, by arm (divide by feed_attributed_events_total for a mean reciprocal rank)',
      labelNames: ['arm'],
      registers,
    });
    this.experimentFeeds = new Counter({
      name: 'experiment_feeds_total',
      help: 'Feed requests ranked by an experiment arm (impressions and events per arm: the feed_* counters with arm="experiment:arm")',
      labelNames: ['experiment', 'arm'],
      registers,
    });
    new Gauge({
      name: 'feed_impressions_buffered',
      help: 'Impressions waiting to be written to the database',
      registers,
      collect() {
        this.set(holder.impressionsBuffered());
      },
    });
  }

  /** Records a newly swapped-in snapshot. */
  modelSwapped(info: ModelInfo): void {
    this.model = info;
    this.modelBuilds.inc({ result: 'success' });
    this.modelBuildSeconds.set(info.buildSeconds);
    this.snapshotSize.set({ part: 'users' }, info.users);
    this.snapshotSize.set({ part: 'posts' }, info.posts);
    this.snapshotSize.set({ part: 'interactions' }, info.interactions);
    this.snapshotSize.set({ part: 'pairs' }, info.pairs);
  }

  modelFailed(): void {
    this.modelBuilds.inc({ result: 'failure' });
  }

  /** Records a finished sync's per-source counts. */
  syncFinished(report: SyncReport, status: string): void {
    this.syncRuns.inc({ status });
    for (const source of report.sources) {
      this.syncRecords.set({ source: source.source }, source.records);
      this.syncRecordsTotal.inc({ source: source.source }, source.records);
    }
  }

  /** Counts every answered request by its route pattern (never the raw URL: bounded label values). */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const labels = { route, method: request.method, status: String(reply.statusCode) };
      this.httpRequests.inc(labels);
      this.httpDuration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }
}
