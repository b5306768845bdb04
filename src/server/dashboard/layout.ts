// The frame of every dashboard page: head (stylesheet, icon, scripts), the navigation and sign-out.
import { html, type SafeHtml } from './html.js';

export const DASHBOARD_PREFIX = '/dashboard';

export type Section = 'overview' | 'plots' | 'users' | 'posts' | 'sync';

const NAV: { section: Section; label: string; path: string }[] = [
  { section: 'overview', label: 'Overview', path: '' },
  { section: 'plots', label: 'Plots', path: '/plots' },
  { section: 'users', label: 'Users', path: '/users' },
  { section: 'posts', label: 'Posts', path: '/posts' },
  { section: 'sync', label: 'Sync', path: '/sync' },
];

export interface PageOptions {
  title: string;
  /** Highlighted in the navigation; none on the sign-in page (which also has no navigation). */
  section?: Section;
  /** Load Chart.js (pages with charts). */
  charts?: boolean;
  /** Signed-in pages show the navigation and a sign-out button. */
  signedIn?: boolean;
}

/**
 * A whole page around `body`.
 * @example page({ title: 'Overview', section: 'overview', signedIn: true }, html`<h1>Overview</h1>`)
 */
export function page(
  { title, section, charts = false, signedIn = true }: PageOptions,
  body: SafeHtml,
): string {
  const asset = (name: string) => `${DASHBOARD_PREFIX}/assets/${name}`;
  const header = signedIn
    ? html`<header class="top">
  <span class="brand">EmpowerVerse Feed</span>
  <nav>${NAV.map(
    (n) =>
      html`<a href="${DASHBOARD_PREFIX}${n.path}"${n.section === section ? html` class="current" aria-current="page"` : ''}>${n.label}</a>`,
  )}<a href="/docs">API docs</a></nav>
  <form method="post" action="${DASHBOARD_PREFIX}/logout"><button type="submit">Sign out</button></form>
</header>`
    : html``;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · EmpowerVerse dashboard</title>
<link rel="icon" href="${asset('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${asset('dashboard.css')}">
${charts ? html`<script src="${asset('chart.umd.min.js')}" defer></script>` : ''}
<script src="${asset('dashboard.js')}" defer></script>
</head>
<body>
${header}
<main>
${body}
</main>
</body>
</html>
`.markup;
}

/** A link to a dashboard page (`path` below the prefix). */
export const dashboardPath = (path: string) => `${DASHBOARD_PREFIX}${path}`;
