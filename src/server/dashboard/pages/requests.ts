// The live request table (rate, p50/p99 per route over the last minute) and the rate sparkline's data:
// rendered into the overview and re-rendered by its poll.
import { formatCount, formatNumber, formatSeconds } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import type { RequestSummary } from '../request-stats.js';

/** The table, for the overview and for `GET /dashboard/api/requests`. */
export function requestTable(summary: RequestSummary): SafeHtml {
  const rows = summary.routes;
  return html`<table class="requests">
  <thead><tr><th>method</th><th>route</th><th class="num">req/s</th><th class="num">requests</th><th class="num">p50</th><th class="num">p99</th><th class="num">5xx</th><th class="num">since start</th></tr></thead>
  <tbody>${
    rows.length === 0
      ? html`<tr><td colspan="8" class="muted">No requests answered yet.</td></tr>`
      : rows.map(
          (r) => html`<tr data-route="${r.route}" data-method="${r.method}">
    <td>${r.method}</td><td>${r.route}</td>
    <td class="num">${formatNumber(r.perSecond, 2)}</td><td class="num">${formatCount(r.requests)}</td>
    <td class="num">${formatSeconds(r.p50)}</td><td class="num">${r.p99AtLeast ? '≥ ' : ''}${formatSeconds(r.p99)}</td>
    <td class="num">${formatCount(r.serverErrors)}</td><td class="num" data-value="${r.total}">${formatCount(r.total)}</td>
  </tr>`,
        )
  }</tbody>
</table>
<p class="note">Over the last ${Math.round(summary.windowSeconds)} s, from the service's own request histogram (/metrics); quantiles interpolated within its buckets. The dashboard's own requests are left out.</p>`;
}

/** The sparkline's points: clock time → requests per second. */
export function rateSeries(summary: RequestSummary): { labels: string[]; data: number[] } {
  return {
    labels: summary.series.map((p) => p.at.slice(11, 19)),
    data: summary.series.map((p) => Math.round(p.perSecond * 100) / 100),
  };
}
