import { type SafeHtml, markup } from './html.js';

/** Hidden form fields carried from one page to the next (the authorization request, `return_to`). */
export type HiddenFields = Readonly<Record<string, string | undefined>>;

function layout(title: string, body: SafeHtml): SafeHtml {
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · authmesh</title>
<link rel="stylesheet" href="/assets/auth.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function hidden(fields: HiddenFields): SafeHtml[] {
  return Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => markup`<input type="hidden" name="${name}" value="${value}">\n`);
}

/** Read by screen readers when the page loads (`role="alert"`), tied to the inputs by aria-describedby. */
function alert(id: string, message: string | undefined): SafeHtml | undefined {
  return message === undefined ? undefined : markup`<p id="${id}" class="error" role="alert">${message}</p>\n`;
}

export interface LoginPageModel {
  csrfToken: string;
  fields: HiddenFields;
  /** The client the user signs in to, when there is one. */
  clientId?: string;
  email?: string;
  error?: string;
}

export function loginPage(m: LoginPageModel): SafeHtml {
  const described = m.error === undefined ? undefined : markup` aria-describedby="login-error" aria-invalid="true"`;
  return layout(
    'Sign in',
    markup`<h1>Sign in</h1>
${m.clientId !== undefined && markup`<p>to continue to <span class="client">${m.clientId}</span></p>\n`}${alert('login-error', m.error)}<form id="login-form" method="post" action="/login">
<input type="hidden" name="csrf_token" value="${m.csrfToken}">
${hidden(m.fields)}<label for="email">E-mail</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" value="${m.email ?? ''}"${described}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"${described}>
<button type="submit">Sign in</button>
</form>`,
  );
}

export interface ConsentPageModel {
  csrfToken: string;
  fields: HiddenFields;
  clientId: string;
  scopes: readonly string[];
  email: string;
}

export function consentPage(m: ConsentPageModel): SafeHtml {
  return layout(
    'Allow access',
    markup`<h1>Allow <span class="client">${m.clientId}</span> access?</h1>
<p>Signed in as ${m.email}. <span class="client">${m.clientId}</span> asks for:</p>
<ul id="consent-scopes">
${m.scopes.map((s) => markup`<li>${s}</li>\n`)}</ul>
<form id="consent-form" method="post" action="/oauth/authorize/consent">
<input type="hidden" name="csrf_token" value="${m.csrfToken}">
${hidden(m.fields)}<div class="buttons">
<button name="decision" value="allow" type="submit">Allow</button>
<button name="decision" value="deny" type="submit" class="secondary">Deny</button>
</div>
</form>`,
  );
}

/** An error shown at auth instead of a redirect (the redirect target can't be trusted, RFC 6749 §4.1.2.1). */
export function errorPage(code: string, description: string): SafeHtml {
  return layout(
    'Error',
    markup`<h1>This request can't be completed</h1>
<p id="error-code">${code}</p>
<p id="error-description" role="alert">${description}</p>`,
  );
}

export function signedInPage(email: string): SafeHtml {
  return layout('Signed in', markup`<h1 id="signed-in">Signed in</h1>\n<p>You are signed in as ${email}.</p>`);
}

export function signedOutPage(): SafeHtml {
  return layout('Signed out', markup`<h1 id="signed-out">You are signed out</h1>`);
}

export interface LogoutConfirmModel {
  csrfToken: string;
  fields: HiddenFields;
}

export function logoutConfirmPage(m: LogoutConfirmModel): SafeHtml {
  return layout(
    'Sign out',
    markup`<h1>Sign out?</h1>
<p>This ends your session at authmesh and in the apps you signed in to through it.</p>
<form id="logout-form" method="post" action="/oauth/logout">
<input type="hidden" name="csrf_token" value="${m.csrfToken}">
${hidden(m.fields)}<button type="submit">Sign out</button>
</form>`,
  );
}

export interface PasswordPageModel {
  csrfToken: string;
  email: string;
  returnTo?: string;
  error?: string;
}

export function passwordPage(m: PasswordPageModel): SafeHtml {
  const described = m.error === undefined ? undefined : markup` aria-describedby="password-error" aria-invalid="true"`;
  return layout(
    'Change password',
    markup`<h1>Change password</h1>
<p>Signed in as ${m.email}. Changing the password signs you out everywhere.</p>
${alert('password-error', m.error)}<form id="password-form" method="post" action="/account/password">
<input type="hidden" name="csrf_token" value="${m.csrfToken}">
${hidden({ return_to: m.returnTo })}<label for="current_password">Current password</label>
<input id="current_password" name="current_password" type="password" autocomplete="current-password" required maxlength="256"${described}>
<label for="new_password">New password (at least 12 characters)</label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="12" maxlength="256"${described}>
<button type="submit">Change password</button>
</form>`,
  );
}

export function passwordChangedPage(returnTo: string | undefined): SafeHtml {
  return layout(
    'Password changed',
    markup`<h1>Password changed</h1>
<p id="password-changed" role="status" class="status">Your password was changed and every session was signed out.</p>
${returnTo !== undefined && markup`<p><a id="return-link" href="${returnTo}">Back to the app</a></p>`}`,
  );
}
