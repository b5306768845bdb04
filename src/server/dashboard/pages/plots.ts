// The plots page: interactions per day by kind, posts per category, the popularity long tail, and the
// metrics of the latest `empowerverse eval --db` on this database.
import type { EvalRunOptions } from '../../../eval/cli.js';
import type { EvalReport, GroupMetrics } from '../../../eval/run.js';
import type { EvalRunRecord } from '../../../store/eval-runs.js';
import { barChart, chartBlock, colourAt, KIND_COLOURS, lineChart } from '../charts.js';
import type { CategoryCount, PopularityTail } from '../data/distributions.js';
import type { PerDay } from '../data/interactions.js';
import { formatCount, formatTime } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';

export interface PlotsView {
  perDay: PerDay;
  /** Events received through POST /events, per day. */
  receivedPerDay: PerDay;
  categories: CategoryCount[];
  tail: PopularityTail;
  eval: EvalRunRecord<EvalReport, EvalRunOptions> | null;
}

/** Categories drawn one bar each; the rest are summed into one. */
const MAX_CATEGORY_BARS = 30;

function perDayChart(id: string, { days, series }: PerDay, label: string): SafeHtml {
  if (days.length === 0) return html`<p class="muted">None stored yet.</p>`;
  const drawn = series.map((s) => ({ label: s.label, data: s.counts, colour: KIND_COLOURS[s.kind]! }));
  // Lines for a long history; stacked bars for a few days (a line of one day is a single, invisible point).
  const config =
    days.length > 31
      ? lineChart(days, drawn, { yTitle: 'interactions' })
      : barChart(days, drawn, { stacked: true });
  return chartBlock(id, config, { label, size: id === 'interactions-per-day' ? 'tall' : 'short' });
}

function categoryChart(categories: readonly CategoryCount[]): SafeHtml {
  if (categories.length === 0) return html`<p class="muted">No posts stored yet.</p>`;
  const shown = categories.slice(0, MAX_CATEGORY_BARS);
  const rest = categories.slice(MAX_CATEGORY_BARS);
  const labels = shown.map((c) => c.name ?? '(no category)');
  const data = shown.map((c) => c.posts);
  if (rest.length > 0) {
    labels.push(`${rest.length} more categories`);
    data.push(rest.reduce((n, c) => n + c.posts, 0));
  }
  return chartBlock(
    'posts-per-category',
    barChart(labels, [{ label: 'posts', data, colour: colourAt(0) }], { horizontal: true }),
    { label: 'Posts per category', size: 'tall' },
  );
}

function tailChart(tail: PopularityTail): SafeHtml {
  if (tail.curve.length === 0) return html`<p class="muted">No interactions stored yet.</p>`;
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return html`${chartBlock(
    'popularity-tail',
    lineChart(
      tail.curve.map((p) => p.rank),
      [{ label: 'interactions per post', data: tail.curve.map((p) => p.interactions), colour: colourAt(4) }],
      { logY: true, xTitle: 'post rank (most popular first)', yTitle: 'interactions (log)' },
    ),
    { label: 'Popularity long tail', size: 'tall' },
  )}
<p class="note" data-tail="summary">${formatCount(tail.interactedPosts)} posts have interactions (${formatCount(tail.interactions)} in all); the most popular 1 % of them hold ${pct(tail.topShare.top1)}, 10 % hold ${pct(tail.topShare.top10)}, 20 % hold ${pct(tail.topShare.top20)}. ${formatCount(tail.untouchedPosts)} of ${formatCount(tail.posts)} stored posts have none (not on the log scale).</p>`;
}

const METRICS: { key: keyof Omit<GroupMetrics, 'users'>; label: string }[] = [
  { key: 'recall10', label: 'Recall@10' },
  { key: 'ndcg10', label: 'NDCG@10' },
  { key: 'recall20', label: 'Recall@20' },
  { key: 'ndcg20', label: 'NDCG@20' },
  { key: 'coverage20', label: 'Coverage@20' },
];

function evalTable(report: EvalReport, group: 'all' | 'cold'): SafeHtml {
  const best = new Map(METRICS.map((m) => [m.key, Math.max(...report.models.map((r) => r[group][m.key]))]));
  return html`<table class="eval" data-group="${group}"><thead><tr><th>model</th><th class="num">users</th>${METRICS.map((m) => html`<th class="num">${m.label}</th>`)}</tr></thead>
  <tbody>${report.models.map(
    (r) =>
      html`<tr data-model="${r.model}"><td>${r.model}</td><td class="num">${formatCount(r[group].users)}</td>${METRICS.map(
        (m) =>
          html`<td class="num" data-metric="${m.key}" data-value="${r[group][m.key]}">${r[group][m.key] === best.get(m.key) && report.models.length > 1 ? html`<strong>${r[group][m.key].toFixed(4)}</strong>` : r[group][m.key].toFixed(4)}</td>`,
      )}</tr>`,
  )}</tbody></table>`;
}

function evalSection(run: EvalRunRecord<EvalReport, EvalRunOptions> | null): SafeHtml {
  if (run === null) {
    return html`<p class="muted">No evaluation stored for this database: run <code>empowerverse eval --db &lt;this database&gt;</code> and its table appears here.</p>`;
  }
  const { report, options } = run;
  const p = report.protocol;
  const models = report.models.map((m) => m.model);
  return html`<p class="note">Run #${run.id}, ${formatTime(run.createdAt)}: ${p.split} split, the chronologically last ${Math.round(p.holdoutFraction * 100)} % of each user's events held out, positives by the ${p.positives} rule, ${options.composed ? 'served (composed) feeds' : 'raw rankings'}; ${formatCount(report.split.evaluatedUsers)} users averaged, ${formatCount(report.split.coldUsers)} cold (≤ ${p.coldThreshold} training events).</p>
${chartBlock(
  'eval-metrics',
  barChart(models, [
    { label: 'Recall@20', data: report.models.map((m) => m.all.recall20), colour: colourAt(0) },
    { label: 'NDCG@20', data: report.models.map((m) => m.all.ndcg20), colour: colourAt(1) },
    { label: 'Coverage@20', data: report.models.map((m) => m.all.coverage20), colour: colourAt(3) },
  ]),
  { label: 'Evaluation metrics per model, all users' },
)}
<h3>All users</h3>${evalTable(report, 'all')}
<h3>Cold users</h3>${evalTable(report, 'cold')}`;
}

export function plotsPage(view: PlotsView): string {
  return page(
    { title: 'Plots', section: 'plots', charts: true },
    html`<h1>Plots</h1>
<section class="panel"><h2>Interactions per day by kind</h2>${perDayChart('interactions-per-day', view.perDay, 'Synced interactions per day by kind')}<p class="note">UTC days, from the platform's interaction tables.</p></section>
<section class="panel"><h2>Events received per day</h2>${perDayChart('received-per-day', view.receivedPerDay, 'Events received through POST /events per day')}<p class="note">Interactions the app reported to this service (POST /events, table FeedEvent), by UTC day.</p></section>
<div class="grid wide">
  <section class="panel"><h2>Posts per category</h2>${categoryChart(view.categories)}</section>
  <section class="panel"><h2>Popularity long tail</h2>${tailChart(view.tail)}</section>
</div>
<section class="panel"><h2>Latest evaluation on this database</h2>${evalSection(view.eval)}</section>`,
  );
}
