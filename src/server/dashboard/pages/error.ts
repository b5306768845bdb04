// A dashboard page for a failed request (bad id, unknown user, …): the message, and a way back.
import { html } from '../html.js';
import { dashboardPath, page } from '../layout.js';
import { errorBox } from './components.js';

export function errorPage(status: number, message: string): string {
  const title = status === 404 ? 'Not found' : status === 400 ? 'Bad request' : 'Error';
  return page(
    { title },
    html`<h1>${title}</h1>${errorBox(message)}<p><a href="${dashboardPath('')}">Back to the overview</a></p>`,
  );
}
