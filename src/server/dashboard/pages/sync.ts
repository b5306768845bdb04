// The sync page: start the server's admin sync and watch each source's progress live (the status part is
// re-rendered by polling), with the stored run history below.
import type { SyncRunRecord } from '../../../store/sync-runs.js';
import type { SyncRun, SyncStatus } from '../../sync-runner.js';
import { formatAgo, formatCount, formatTime } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { dashboardPath, page } from '../layout.js';
import { errorBox, noticeBox, statusBadge } from './components.js';
import { syncHistoryTable } from './sync-history.js';

/** Records each source's last complete pass stored: the yardstick of a running pass's progress. */
export type ExpectedRecords = Readonly<Record<string, number | null>>;

function progressMeter(records: number, status: string, expected: number | null | undefined): SafeHtml {
  if (status === 'complete') return html`<meter min="0" max="1" value="1" title="complete"></meter>`;
  if (expected === null || expected === undefined || expected <= 0)
    return html`<span class="muted">first pass</span>`;
  const share = Math.min(1, records / expected);
  return html`<meter min="0" max="1" value="${share.toFixed(3)}" title="${formatCount(records)} of about ${formatCount(expected)} (the last complete pass)"></meter>`;
}

function runTable(run: SyncRun, expected: ExpectedRecords, now: number): SafeHtml {
  const sources = Object.entries(run.sources);
  return html`<p data-run="${run.id}" data-status="${run.status}">This server's run ${run.id} (${run.trigger}) ${statusBadge(run.status)} started ${formatAgo(run.started_at, now)}${run.finished_at ? `, finished ${formatTime(run.finished_at)}` : ''}${run.pid !== null ? ` · sync process ${run.pid}` : ''}</p>
${run.error ? errorBox(run.error) : ''}
<table class="sync-progress"><thead><tr><th>source</th><th>status</th><th>progress</th><th class="num">start page</th><th class="num">pages</th><th class="num">records</th><th class="num">invalid</th><th>error</th></tr></thead>
<tbody>${sources.map(
    ([name, s]) =>
      html`<tr data-source="${name}" data-status="${s.status}"><td>${name}</td><td>${statusBadge(s.status)}</td><td>${progressMeter(s.records, s.status, expected[name])}</td><td class="num">${s.start_page ?? '—'}</td><td class="num">${formatCount(s.pages)}</td><td class="num" data-value="${s.records}">${formatCount(s.records)}</td><td class="num">${formatCount(s.invalid)}</td><td>${s.error ?? ''}</td></tr>`,
  )}</tbody></table>`;
}

/** The live part: the running run's progress, or the last run's outcome. */
export function syncStatusFragment(
  status: SyncStatus,
  expected: ExpectedRecords,
  now = Date.now(),
): SafeHtml {
  const run = status.current;
  if (run === null) return html`<p class="muted">No sync has run since the service started.</p>`;
  return runTable(run, expected, now);
}

export interface SyncView {
  status: SyncStatus;
  expected: ExpectedRecords;
  runs: SyncRunRecord[];
  notice?: string;
  error?: string;
}

export function syncPage(view: SyncView): string {
  const { status } = view;
  const control = status.configured
    ? html`<form method="post" action="${dashboardPath('/sync')}"><button class="primary" type="submit" id="start-sync"${status.running ? ' disabled' : ''}>${status.running ? 'A sync is running' : 'Start a sync'}</button></form>
<p class="note">The same sync as POST /admin/sync: every source from the upstream API, resumable, in its own low-priority process; when it changed data the model is rebuilt and swapped in.${status.interval_minutes !== null ? ` Also runs every ${status.interval_minutes} minutes.` : ''}</p>`
    : html`<p class="muted">Sync is not configured on this server: start it with API_BASE_URL (and FLIC_TOKEN) set.</p>`;
  return page(
    { title: 'Sync', section: 'sync' },
    html`<h1>Sync</h1>
${view.notice ? noticeBox(view.notice) : ''}${view.error ? errorBox(view.error) : ''}
<section class="panel">${control}</section>
<section class="panel" data-poll="${dashboardPath('/api/sync')}" data-poll-ms="5000" data-active="${status.running}" data-reload-when-done="true">
  <h2>Progress</h2>
  <div data-poll-target>${syncStatusFragment(status, view.expected)}</div>
</section>
<section class="panel"><h2>Run history</h2>${syncHistoryTable(view.runs)}<p class="note">Every sync recorded in this database, whoever ran it (this server, another one, the CLI); numbered by the database.</p></section>`,
  );
}
