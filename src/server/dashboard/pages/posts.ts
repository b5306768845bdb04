// The post inspector: the post, its derived summary and keywords, who interacted with it, and its similar
// posts — as GET /posts/{id}/similar serves them from the loaded model, and by co-interaction counted in
// the store.
import type { PostLabel } from '../data/catalogue.js';
import type { InteractionEntry, KindCounts } from '../data/interactions.js';
import type { SimilarAnswer } from '../data/model-views.js';
import type { ActiveEntry } from '../data/most-active.js';
import type { CoInteraction, PostDetail, PostSummaryDetail } from '../data/post-detail.js';
import { formatCount, formatTime } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { dashboardPath, page } from '../layout.js';
import { errorBox, kindBadge, postLine, userLink } from './components.js';
import { feedItems } from './feed-list.js';

export function postSearchForm(value = ''): SafeHtml {
  return html`<form class="inline" method="get" action="${dashboardPath('/posts')}">
  <label for="post">Post id</label>
  <input id="post" name="post" type="text" inputmode="numeric" value="${value}" required maxlength="20">
  <button class="primary" type="submit">Inspect</button>
</form>`;
}

export interface PostsIndexView {
  query: string;
  error?: string;
  mostActive: ActiveEntry[];
  labels: ReadonlyMap<number, PostLabel>;
}

export function postsIndexPage(view: PostsIndexView): string {
  return page(
    { title: 'Posts', section: 'posts' },
    html`<h1>Post inspector</h1>
<section class="panel">${view.error ? errorBox(view.error) : ''}${postSearchForm(view.query)}</section>
<section class="panel"><h2>Most interacted-with posts</h2>
${
  view.mostActive.length === 0
    ? html`<p class="muted">No interactions stored yet.</p>`
    : html`<table><thead><tr><th>post</th><th class="num">interactions</th></tr></thead><tbody>${view.mostActive.map(
        (p) =>
          html`<tr><td>${postLine(p.id, view.labels.get(p.id))}</td><td class="num">${formatCount(p.interactions)}</td></tr>`,
      )}</tbody></table>`
}
</section>`,
  );
}

export interface PostView {
  postId: number;
  post: PostDetail | null;
  summary: PostSummaryDetail | null;
  counts: KindCounts;
  interactions: InteractionEntry[];
  interactionLimit: number;
  names: ReadonlyMap<number, string>;
  /** The similar posts `/posts/{id}/similar` serves (null before a model is in force). */
  similar: SimilarAnswer | null;
  coInteraction: { audience: number; neighbours: CoInteraction[] };
  labels: ReadonlyMap<number, PostLabel>;
}

function postFacts(post: PostDetail | null, summary: PostSummaryDetail | null): SafeHtml {
  const record = post
    ? html`<dl class="facts"><dt>title</dt><dd data-post="title">${post.title || '—'}</dd><dt>category</dt><dd>${post.category ?? '—'}</dd><dt>creator</dt><dd>${post.creator ? `@${post.creator}` : '—'}${post.creatorName ? ` (${post.creatorName})` : ''}</dd><dt>created</dt><dd>${post.createdAt === null ? '—' : formatTime(new Date(post.createdAt).toISOString())}</dd><dt>platform counts</dt><dd>${formatCount(post.counts.views)} views · ${formatCount(post.counts.upvotes)} upvotes · ${formatCount(post.counts.ratings)} ratings (average ${post.counts.averageRating.toFixed(1)}) · ${formatCount(post.counts.comments)} comments</dd>${post.tags.length > 0 ? html`<dt>tags</dt><dd>${post.tags.join(', ')}</dd>` : ''}${post.videoLink ? html`<dt>video</dt><dd>${post.videoLink}</dd>` : ''}</dl>`
    : html`<p class="muted">No stored post record: interactions name a post the platform did not list (kept as orphans).</p>`;
  const derived = summary
    ? html`<h3>Summary</h3><p data-post="summary">${summary.summary}</p><h3>Keywords</h3><div class="keywords">${summary.keywords.map((k) => html`<span class="badge">${k}</span>`)}</div>`
    : html`<p class="muted">No PostSummary row yet (summaries are derived at the end of each sync).</p>`;
  return html`${record}${derived}`;
}

function audienceTable(view: PostView): SafeHtml {
  if (view.interactions.length === 0) return html`<p class="muted">Nobody interacted with this post.</p>`;
  return html`<div class="scroll"><table class="audience"><thead><tr><th>when (UTC)</th><th>what</th><th>user</th></tr></thead><tbody>${view.interactions.map(
    (e) =>
      html`<tr><td>${formatTime(e.at)}</td><td>${kindBadge(e.kind, e.origin === 'received')}${e.ratingPercent !== null ? ` ${e.ratingPercent} %` : ''}</td><td>${userLink(e.userId, view.names.get(e.userId))}</td></tr>`,
  )}</tbody></table></div>${view.interactions.length >= view.interactionLimit ? html`<p class="note">The newest ${view.interactionLimit} shown.</p>` : ''}`;
}

function servedColumn(view: PostView): SafeHtml {
  const answer = view.similar;
  const body =
    answer === null
      ? html`<p class="muted">No model in force yet.</p>`
      : answer.result === null
        ? errorBox(answer.error ?? 'no answer')
        : html`<p class="note">${formatCount(answer.result.total)} posts with some similarity.</p>${feedItems(answer.result.items, view.labels)}`;
  return html`<div class="feed-column served" data-similar="model">
  <h2><span>similar</span><span class="badge ok">served by /posts/${view.postId}/similar</span></h2>
  <p class="note">From the loaded model: item-kNN cosine (people who engaged with this post engaged with those) plus content cosine (summary, keywords, title, category).</p>
  ${body}
</div>`;
}

function coInteractionColumn(view: PostView): SafeHtml {
  const { audience, neighbours } = view.coInteraction;
  return html`<div class="feed-column" data-similar="co-interaction">
  <h2><span>co-interaction</span><span class="badge">store</span></h2>
  <p class="note">From the store: posts most often interacted with by this post's ${formatCount(audience)} users (any kind, synced or received).</p>
  ${
    neighbours.length === 0
      ? html`<p class="muted">No other post shares an audience with this one.</p>`
      : html`<ol class="feed">${neighbours.map(
          (n) =>
            html`<li data-post-id="${n.postId}">${postLine(n.postId, view.labels.get(n.postId))}<span class="reason">${formatCount(n.sharedUsers)} shared users (${audience > 0 ? ((100 * n.sharedUsers) / audience).toFixed(0) : 0} % of this post's)</span></li>`,
        )}</ol>`
  }
</div>`;
}

export function postPage(view: PostView): string {
  const title = view.post?.title ? view.post.title : `post ${view.postId}`;
  const c = view.counts;
  const kinds = ['view', 'like', 'inspire', 'rating'] as const;
  return page(
    { title, section: 'posts' },
    html`<h1>${title} <span class="muted">#${view.postId}</span></h1>
<section class="panel">${postSearchForm()}</section>
<div class="grid wide">
  <section class="panel"><h2>Post</h2>${postFacts(view.post, view.summary)}</section>
  <section class="panel"><h2>Who interacted</h2>
    <p>${kinds.map((k) => html`${kindBadge(k)} <span data-kind="${k}" data-value="${c.synced[k]}">${formatCount(c.synced[k])}</span>${c.received[k] > 0 ? html` <span class="muted">+ ${formatCount(c.received[k])} received</span>` : ''} &nbsp; `)}</p>
    ${audienceTable(view)}
  </section>
</div>
<section class="panel"><h2>Similar posts</h2>
<div class="columns similar">
${servedColumn(view)}
${coInteractionColumn(view)}
</div>
</section>`,
  );
}
