// A model's ranked answer as a column: its posts with score, source and the model's reason.
import type { FeedItem } from '../../../recommend/index.js';
import type { PostLabel } from '../data/catalogue.js';
import type { ModelAnswer } from '../data/model-views.js';
import { formatCount } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { errorBox, postLine } from './components.js';

export function feedItems(items: readonly FeedItem[], labels: ReadonlyMap<number, PostLabel>): SafeHtml {
  if (items.length === 0) return html`<p class="muted">No posts.</p>`;
  return html`<ol class="feed">${items.map(
    (item) => html`<li data-post-id="${item.postId}">${postLine(item.postId, labels.get(item.postId))}
    <span class="reason">${item.source === 'fresh' ? 'fresh slot' : item.source} · score ${Number.isFinite(item.score) ? item.score.toPrecision(3) : '—'}${item.reason ? ` · ${item.reason}` : ''}</span></li>`,
  )}</ol>`;
}

/** One model's column; `served` marks the one `/feed` answers by default. */
export function feedColumn(
  answer: ModelAnswer,
  labels: ReadonlyMap<number, PostLabel>,
  { served = false, caption }: { served?: boolean; caption?: string } = {},
): SafeHtml {
  const r = answer.result;
  const facts = r
    ? [
        r.cold
          ? 'cold start (no history)'
          : `from ${formatCount(r.historyLength)} ${r.historyLength === 1 ? 'post' : 'posts'} of history`,
        r.fallback ? `fell back to ${r.model}` : null,
        `${formatCount(r.total)} candidates`,
      ].filter(Boolean)
    : [];
  return html`<div class="feed-column${served ? ' served' : ''}" data-model="${answer.model}">
  <h2><span>${answer.model}</span>${served ? html`<span class="badge ok">served by /feed</span>` : ''}</h2>
  ${caption ? html`<p class="note">${caption}</p>` : ''}
  ${r ? html`<p class="note">${facts.join(' · ')}</p>${feedItems(r.items, labels)}` : errorBox(answer.error ?? 'no answer')}
</div>`;
}
