// The stored history of sync runs as a table, each run's sources folded out below it.
import type { SyncRunRecord } from '../../../store/sync-runs.js';
import { formatCount, formatDuration, formatTime } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { statusBadge } from './components.js';

export function syncHistoryTable(runs: readonly SyncRunRecord[]): SafeHtml {
  if (runs.length === 0) {
    return html`<p class="muted">No sync recorded in this database yet (runs are recorded from this version on).</p>`;
  }
  return html`<table class="sync-runs">
  <thead><tr><th>run</th><th>trigger</th><th>status</th><th>started</th><th class="num">duration</th><th class="num">records</th><th class="num">changed</th><th class="num">invalid</th><th class="num">errors</th><th>sources · first error</th></tr></thead>
  <tbody>${runs.map(
    (r) => html`<tr data-run-id="${r.id}">
    <td>${r.id}</td><td>${r.trigger}</td><td>${statusBadge(r.status)}</td><td>${formatTime(r.startedAt)}</td>
    <td class="num">${formatDuration(r.durationMs)}</td><td class="num">${formatCount(r.records)}</td>
    <td class="num">${formatCount(r.changed)}</td><td class="num">${formatCount(r.invalid)}</td>
    <td class="num">${formatCount(r.errors)}</td>
    <td><details><summary>${r.sources.length} sources${r.error ? html` · <span class="diff-out">${r.error.slice(0, 160)}</span>` : ''}</summary>
      <table><thead><tr><th>source</th><th>status</th><th class="num">pages</th><th class="num">records</th><th class="num">changed</th><th class="num">invalid</th><th class="num">duration</th><th>error</th></tr></thead>
      <tbody>${r.sources.map(
        (s) =>
          html`<tr><td>${s.source}</td><td>${statusBadge(s.status)}</td><td class="num">${formatCount(s.pages)}</td><td class="num">${formatCount(s.records)}</td><td class="num">${formatCount(s.changed)}</td><td class="num">${formatCount(s.invalid)}</td><td class="num">${formatDuration(s.durationMs)}</td><td>${s.error ?? ''}</td></tr>`,
      )}</tbody></table>
    </details></td>
  </tr>`,
  )}</tbody>
</table>`;
}
