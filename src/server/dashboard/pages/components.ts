// Small pieces the dashboard pages share: badges, links to the inspectors, a post's one-line label.
import type { PostLabel } from '../data/catalogue.js';
import { formatCount } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { dashboardPath } from '../layout.js';

/** A status (`complete`, `failed`, `running`, …) as a coloured badge. */
export const statusBadge = (status: string): SafeHtml => html`<span class="badge ${status}">${status}</span>`;

/** An interaction kind as a coloured badge; received events say so. */
export const kindBadge = (kind: string, received = false): SafeHtml =>
  html`<span class="badge ${kind}">${kind}${received ? ' · live' : ''}</span>`;

export const userLink = (id: number, name?: string | null): SafeHtml =>
  html`<a href="${dashboardPath(`/users/${id}`)}" data-user-id="${id}">${name ? `${name} (${id})` : `user ${id}`}</a>`;

/** A post as a link to its inspector with its title, category and creator. */
export function postLine(id: number, label: PostLabel | undefined): SafeHtml {
  const title = label?.title ? label.title : `post ${id}`;
  const meta = [label?.category, label?.creator ? `@${label.creator}` : null, `#${id}`].filter(Boolean);
  return html`<a href="${dashboardPath(`/posts/${id}`)}" data-post-id="${id}">${title}</a> <span class="meta">${meta.join(' · ')}</span>`;
}

/** A numeric table cell carrying its exact value (for reading back). */
export const numCell = (value: number | null, attrs: SafeHtml = html``): SafeHtml =>
  html`<td class="num"${attrs} data-value="${value ?? ''}">${formatCount(value)}</td>`;

export const errorBox = (message: string): SafeHtml =>
  html`<div class="error-box" role="alert">${message}</div>`;
export const noticeBox = (message: string): SafeHtml =>
  html`<div class="notice-box" role="status">${message}</div>`;
