// The sign-in page: one password field for the ADMIN_TOKEN, posted to /dashboard/login.
import { html } from '../html.js';
import { dashboardPath, page } from '../layout.js';
import { errorBox } from './components.js';

export interface LoginView {
  /** Where to go after signing in (a dashboard path). */
  next: string;
  error?: string;
}

export function loginPage({ next, error }: LoginView): string {
  return page(
    { title: 'Sign in', signedIn: false },
    html`<form class="login" method="post" action="${dashboardPath('/login')}">
  <h1>EmpowerVerse dashboard</h1>
  ${error ? errorBox(error) : ''}
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
  <input type="hidden" name="next" value="${next}">
  <button class="primary" type="submit">Sign in</button>
  <p class="note">The server's ADMIN_TOKEN. Scripts can send it as <code>Authorization: Bearer …</code> instead.</p>
</form>`,
  );
}
