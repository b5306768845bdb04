// HTML templating for the dashboard's server-rendered pages: a tagged template that escapes every
// interpolated value unless it is already markup built by the template itself, so data from the store
// (titles, usernames, summaries, error messages) can never inject markup.

/** Markup that is safe to insert as is: only `html` and `jsonScript` make it. */
export class SafeHtml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML text or attribute value (quoted). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A value inserted into a template: markup as is, lists joined, nothing for null/undefined/false. */
function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * Builds markup; interpolations are escaped (nested `html` results and lists of them are kept).
 * @example html`<td>${post.title}</td>`.markup // '<td>a &lt;b&gt; title</td>' for the title 'a <b> title'
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/**
 * Data for the page's script as a JSON block (`<script type="application/json">`, never executed):
 * `<` is escaped so no value can close the element, and U+2028/2029 so it stays one JS-safe literal.
 * @example jsonScript('chart-1', { type: 'bar' })
 */
export function jsonScript(id: string, data: unknown): SafeHtml {
  const json = JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return new SafeHtml(`<script type="application/json" id="${escapeHtml(id)}">${json}</script>`);
}
