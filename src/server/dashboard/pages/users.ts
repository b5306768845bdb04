// The user inspector: a user's record and history (a timeline of interactions), their first feed page
// from every built model side by side with the models' reasons, and what their live events changed.
import type { OverlayEvent } from '../../live-events.js';
import { barChart, chartBlock, KIND_COLOURS } from '../charts.js';
import type { PostLabel } from '../data/catalogue.js';
import type { InteractionEntry, KindCounts, PerDay } from '../data/interactions.js';
import type { LiveEffect, ModelAnswer } from '../data/model-views.js';
import type { ActiveEntry } from '../data/most-active.js';
import type { UserDetail } from '../data/user-detail.js';
import { formatCount, formatTime } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { dashboardPath, page } from '../layout.js';
import { errorBox, kindBadge, postLine, userLink } from './components.js';
import { feedColumn, feedItems } from './feed-list.js';

export function userSearchForm(value = ''): SafeHtml {
  return html`<form class="inline" method="get" action="${dashboardPath('/users')}">
  <label for="user">User id or username</label>
  <input id="user" name="user" type="text" value="${value}" required maxlength="200">
  <button class="primary" type="submit">Inspect</button>
</form>`;
}

export interface UsersIndexView {
  query: string;
  error?: string;
  mostActive: ActiveEntry[];
  names: ReadonlyMap<number, string>;
}

export function usersIndexPage(view: UsersIndexView): string {
  return page(
    { title: 'Users', section: 'users' },
    html`<h1>User inspector</h1>
<section class="panel">${view.error ? errorBox(view.error) : ''}${userSearchForm(view.query)}</section>
<section class="panel"><h2>Most active users</h2>
${
  view.mostActive.length === 0
    ? html`<p class="muted">No interactions stored yet.</p>`
    : html`<table><thead><tr><th>user</th><th class="num">interactions</th></tr></thead><tbody>${view.mostActive.map(
        (u) =>
          html`<tr><td>${userLink(u.id, view.names.get(u.id))}</td><td class="num">${formatCount(u.interactions)}</td></tr>`,
      )}</tbody></table>`
}
</section>`,
  );
}

export interface UserView {
  userId: number;
  user: UserDetail | null;
  counts: KindCounts;
  history: InteractionEntry[];
  historyLimit: number;
  perDay: PerDay;
  servedModel: string;
  feeds: ModelAnswer[];
  /** Null before a model is in force. */
  modelReady: boolean;
  live: readonly OverlayEvent[];
  effect: LiveEffect | null;
  labels: ReadonlyMap<number, PostLabel>;
}

function countsLine(counts: KindCounts): SafeHtml {
  const kinds = ['view', 'like', 'inspire', 'rating'] as const;
  return html`<p>${kinds.map(
    (k) =>
      html`${kindBadge(k)} <span data-kind="${k}" data-value="${counts.synced[k]}">${formatCount(counts.synced[k])}</span>${counts.received[k] > 0 ? html` <span class="muted">+ ${formatCount(counts.received[k])} received</span>` : ''} &nbsp; `,
  )}</p>`;
}

function activityChart(view: UserView): SafeHtml {
  if (view.perDay.days.length === 0) return html`<p class="muted">No interactions stored for this user.</p>`;
  return chartBlock(
    'user-per-day',
    barChart(
      view.perDay.days,
      view.perDay.series.map((s) => ({ label: s.label, data: s.counts, colour: KIND_COLOURS[s.kind]! })),
      { stacked: true },
    ),
    { label: "The user's interactions per day", size: 'short' },
  );
}

function historyTable(view: UserView): SafeHtml {
  if (view.history.length === 0) return html`<p class="muted">No interactions stored for this user.</p>`;
  const rows = view.history.map(
    (e) =>
      html`<tr><td>${formatTime(e.at)}</td><td>${kindBadge(e.kind, e.origin === 'received')}${e.ratingPercent !== null ? ` ${e.ratingPercent} %` : ''}</td><td>${postLine(e.postId, view.labels.get(e.postId))}</td></tr>`,
  );
  return html`<div class="scroll"><table class="history"><thead><tr><th>when (UTC)</th><th>what</th><th>post</th></tr></thead><tbody>${rows}</tbody></table></div>
${view.history.length >= view.historyLimit ? html`<p class="note">The newest ${view.historyLimit} shown.</p>` : ''}`;
}

function liveSection(view: UserView): SafeHtml {
  if (view.live.length === 0) {
    return html`<p class="muted">No live events: nothing this user did through POST /events is waiting for the next model build (events up to the snapshot's watermark are inside the model already).</p>`;
  }
  const effect = view.effect;
  const events = html`<table><thead><tr><th>event</th><th>what</th><th>post</th></tr></thead><tbody>${view.live.map(
    (e) =>
      html`<tr><td>#${e.eventId}</td><td>${kindBadge(e.kind, true)}${e.ratingPercent !== undefined ? ` ${e.ratingPercent} %` : ''}</td><td>${postLine(e.postId, view.labels.get(e.postId))}</td></tr>`,
  )}</tbody></table>`;
  if (effect === null) return events;
  const list = (ids: readonly number[], cls: string) =>
    ids.length === 0
      ? html`<span class="muted">none</span>`
      : html`<ul>${ids.map((id) => html`<li class="${cls}">${postLine(id, view.labels.get(id))}</li>`)}</ul>`;
  return html`${events}
<div class="columns">
  <div class="feed-column" data-live="before"><h2>${view.servedModel} without them</h2>${feedItems(effect.before, view.labels)}</div>
  <div class="feed-column served" data-live="after"><h2>${view.servedModel} with them (served)</h2>${feedItems(effect.after, view.labels)}</div>
  <div class="feed-column"><h2>What changed</h2>
    <h3>entered the page</h3>${list(effect.entered, 'diff-in')}
    <h3>left the page</h3>${list(effect.left, 'diff-out')}
    <p class="note">${effect.excluded.length} of the posts that left were interacted with live (a feed never shows a post the user interacted with); the rest were outranked by what the events made relevant.</p>
  </div>
</div>`;
}

export function userPage(view: UserView): string {
  const u = view.user;
  const title = u?.username ? `${u.username} (${view.userId})` : `user ${view.userId}`;
  const facts = u
    ? html`<dl class="facts"><dt>username</dt><dd>${u.username ?? '—'}</dd><dt>name</dt><dd>${u.name || '—'}</dd><dt>type</dt><dd>${u.userType ?? '—'}</dd><dt>last login</dt><dd>${u.lastLogin ?? '—'}</dd><dt>posts · followers · following</dt><dd>${formatCount(u.posts)} · ${formatCount(u.followers)} · ${formatCount(u.following)}</dd></dl>`
    : html`<p class="muted">No stored user record: these interactions name a user the platform did not list (kept as orphans).</p>`;
  const [served, ...others] = view.feeds;
  return page(
    { title, section: 'users', charts: true },
    html`<h1>${title}</h1>
<section class="panel">${userSearchForm()}</section>
<div class="grid wide">
  <section class="panel"><h2>Record</h2>${facts}${countsLine(view.counts)}</section>
  <section class="panel"><h2>Activity per day</h2>${activityChart(view)}</section>
</div>
<section class="panel"><h2>Feeds by model</h2>
${
  !view.modelReady
    ? html`<p class="muted">No model in force yet (see /ready).</p>`
    : html`<p class="note">The first page of each built model's feed for this user, live events included: the request GET /feed?user_id=${view.userId}&amp;model=… makes, with explain=true.</p>
<div class="columns feeds">${served ? feedColumn(served, view.labels, { served: true }) : ''}${others.map((a) => feedColumn(a, view.labels))}</div>`
}
</section>
<section class="panel"><h2>Live events and what they changed</h2>${liveSection(view)}</section>
<section class="panel"><h2>History</h2>${historyTable(view)}</section>`,
  );
}
