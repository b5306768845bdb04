// The overview: what is stored (counts per table, orphans), where sync stands (per source, run history),
// the model in force, live request figures, and positive feedback per day.

import type { SyncRunRecord } from '../../../store/sync-runs.js';
import type { StoreStats, TableName } from '../../../store/types.js';
import type { ModelInfo } from '../../model-protocol.js';
import { configurationLine } from '../../snapshot-build.js';
import { chartBlock, KIND_COLOURS, lineChart, sparkline } from '../charts.js';
import type { PerDay } from '../data/interactions.js';
import { formatAgo, formatBytes, formatCount, formatDuration, formatTime } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { dashboardPath, page } from '../layout.js';
import type { RequestSummary } from '../request-stats.js';
import { numCell, statusBadge } from './components.js';
import { rateSeries, requestTable } from './requests.js';
import { syncHistoryTable } from './sync-history.js';

export interface ModelState {
  info: ModelInfo | null;
  building: boolean;
  buildStep: string | null;
  lastError: string | null;
  workers: { serving: number; configured: number };
  liveEvents: number;
}

export interface OverviewView {
  stats: StoreStats;
  /** Rows of FeedEvent (events received through POST /events). */
  receivedEvents: number;
  runs: SyncRunRecord[];
  model: ModelState;
  requests: RequestSummary;
  perDay: PerDay;
  now: number;
}

const TABLE_LABELS: Record<TableName, string> = {
  User: 'Users',
  Post: 'Posts',
  PostView: 'Views',
  PostLike: 'Likes',
  PostInspire: 'Inspires',
  PostRating: 'Ratings',
  PostSummary: 'Post summaries',
};

function countCards(stats: StoreStats, receivedEvents: number): SafeHtml {
  const cards = (Object.keys(TABLE_LABELS) as TableName[]).map(
    (table) =>
      html`<div class="card" data-table="${table}"><div class="label">${TABLE_LABELS[table]} <span class="muted">(${table})</span></div><div class="value" data-value="${stats.tables[table]}">${formatCount(stats.tables[table])}</div></div>`,
  );
  cards.push(
    html`<div class="card" data-table="FeedEvent"><div class="label">Received events <span class="muted">(FeedEvent)</span></div><div class="value" data-value="${receivedEvents}">${formatCount(receivedEvents)}</div><div class="sub">through POST /events</div></div>`,
  );
  return html`<div class="cards">${cards}</div>`;
}

function orphanTable(stats: StoreStats): SafeHtml {
  const rows = Object.entries(stats.orphans) as [string, { unknownUser: number; unknownPost: number }][];
  return html`<table class="orphans"><thead><tr><th>interactions</th><th class="num">unknown user</th><th class="num">unknown post</th></tr></thead>
  <tbody>${rows.map(
    ([source, o]) =>
      html`<tr data-source="${source}"><td>${source}</td>${numCell(o.unknownUser, html` data-orphan="user"`)}${numCell(o.unknownPost, html` data-orphan="post"`)}</tr>`,
  )}</tbody></table>
  <p class="note">Interactions whose user or post is not stored: kept (never dropped), and counted by the model only once their post is known.</p>`;
}

function syncStateTable(stats: StoreStats, now: number): SafeHtml {
  if (stats.sync.length === 0)
    return html`<p class="muted">No source has been synced into this database.</p>`;
  return html`<table class="sync-state"><thead><tr><th>source</th><th>state</th><th>last complete sync</th><th class="num">records then</th><th>running pass</th></tr></thead>
  <tbody>${stats.sync.map(
    (s) => html`<tr data-source="${s.source}"><td>${s.source}</td><td>${statusBadge(s.status)}</td>
    <td>${formatAgo(s.lastSyncedAt, now)}${s.lastSyncedAt ? html` <span class="muted">${formatTime(s.lastSyncedAt)}</span>` : ''}</td>
    <td class="num">${formatCount(s.lastRecordCount)}</td>
    <td>${s.status === 'running' ? `from page ${s.nextPage} (page size ${s.pageSize}), started ${formatAgo(s.startedAt, now)}` : ''}</td></tr>`,
  )}</tbody></table>`;
}

function modelPanel(model: ModelState, now: number): SafeHtml {
  const { info } = model;
  const state = html`<p class="note">${model.building ? html`${statusBadge('running')} building a new snapshot${model.buildStep ? ` (step: ${model.buildStep})` : ''}. ` : ''}${model.lastError ? html`${statusBadge('failed')} last build failed: ${model.lastError}. ` : ''}Workers serving: ${model.workers.serving} of ${model.workers.configured}. Live events in the overlay: ${formatCount(model.liveEvents)}.</p>`;
  if (info === null) return html`<p class="muted">No model in force yet.</p>${state}`;
  return html`<dl class="facts model">
  <dt>generation</dt><dd data-model="generation">${info.generation} (${info.origin === 'stored' ? 'stored snapshot reused' : 'built for this process'}${info.snapshotId === null ? ', in memory' : `, snapshot #${info.snapshotId}`})</dd>
  <dt>built</dt><dd>${formatAgo(info.builtAt, now)} <span class="muted">${formatTime(info.builtAt)}</span></dd>
  <dt>build time</dt><dd>${formatDuration(info.buildSeconds * 1000)} <span class="muted">(load ${formatDuration(info.loadSeconds * 1000)}, ready in every worker after ${formatDuration(info.installSeconds * 1000)})</span></dd>
  <dt>size</dt><dd data-model="bytes" data-value="${info.byteSize}">${formatBytes(info.byteSize)}</dd>
  <dt>covers</dt><dd><span data-model="users" data-value="${info.users}">${formatCount(info.users)}</span> users, <span data-model="posts" data-value="${info.posts}">${formatCount(info.posts)}</span> posts, ${formatCount(info.interactions)} interactions (${formatCount(info.pairs)} user-post pairs)</dd>
  <dt>received events</dt><dd>up to FeedEvent #${info.feedEventWatermark} included</dd>
  <dt>configuration</dt><dd data-model="configuration" data-tuned="${info.tuned === null ? 'defaults' : info.tuned.id}">${configurationLine(info.tuned)}, serving since ${formatAgo(info.servingSince, now)} <span class="muted">${formatTime(info.servingSince)}</span></dd>
  <dt>models</dt><dd>${info.models.join(', ')}</dd>
  ${info.notes.length > 0 ? html`<dt>notes</dt><dd>${info.notes.join('; ')}</dd>` : ''}
</dl>${state}`;
}

function positiveFeedback(perDay: PerDay): SafeHtml {
  const series = perDay.series
    .filter((s) => s.kind === 'like' || s.kind === 'inspire')
    .map((s) => ({
      label: s.label,
      data: s.counts,
      colour: KIND_COLOURS[s.kind]!,
    }));
  if (perDay.days.length === 0 || series.length === 0)
    return html`<p class="muted">No likes or inspires stored yet.</p>`;
  return chartBlock('positive-per-day', lineChart(perDay.days, series), {
    label: 'Positive feedback (likes and inspires) per day',
    size: 'short',
  });
}

export function overviewPage(view: OverviewView): string {
  const rate = rateSeries(view.requests);
  return page(
    { title: 'Overview', section: 'overview', charts: true },
    html`<h1>Overview</h1>
${countCards(view.stats, view.receivedEvents)}
<div class="grid wide">
  <section class="panel" data-poll="${dashboardPath('/api/requests')}" data-poll-ms="5000" data-poll-chart="request-rate">
    <h2>Requests</h2>
    ${chartBlock('request-rate', sparkline(rate.labels, rate.data, '#3a5bd9'), { label: 'Requests per second, last minutes', size: 'spark' })}
    <div data-poll-target>${requestTable(view.requests)}</div>
  </section>
  <section class="panel"><h2>Model in force</h2>${modelPanel(view.model, view.now)}</section>
  <section class="panel"><h2>Positive feedback per day</h2>${positiveFeedback(view.perDay)}<p class="note">Synced likes and inspires: what eval counts as positive on EmpowerVerse data. More on the <a href="${dashboardPath('/plots')}">plots</a> page.</p></section>
  <section class="panel"><h2>Last sync per source</h2>${syncStateTable(view.stats, view.now)}</section>
  <section class="panel"><h2>Orphaned interactions</h2>${orphanTable(view.stats)}</section>
</div>
<section class="panel"><h2>Sync runs</h2>${syncHistoryTable(view.runs)}<p class="note"><a href="${dashboardPath('/sync')}">Start a sync</a></p></section>`,
  );
}
