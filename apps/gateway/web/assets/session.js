// The app's one way to talk to the gateway: the session (GET /session), API calls with the
// session's CSRF token, and the page's shared states (loading, signed out, signed in, status).
// Browser code, no build step: an ES module served as is from /assets/.
/* global document, fetch, location */

/** An API answer of 401: the session is over (expired, signed out elsewhere, revoked). */
export class SignedOutError extends Error {
  constructor() {
    super('You are signed out.');
    this.name = 'SignedOutError';
  }
}

/** Any other refusal, with the platform's error `code` and `message` (`{ code, message, requestId }`). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

let csrfToken;

/**
 * `GET /session`: `{ authenticated: true, csrfToken, sub, … }` or `{ authenticated: false }`. The CSRF
 * token is kept for later unsafe requests (OWASP synchronizer token: the gateway compares it with
 * the session's, and a cross-site page can't read it).
 */
export async function loadSession() {
  const res = await fetch('/session', { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw await errorOf(res);
  const session = await res.json();
  csrfToken = session.authenticated ? session.csrfToken : undefined;
  return session;
}

/** What the server configured for the app (`GET /app-config.json`): auth's browser URLs. */
export async function loadAppConfig() {
  const res = await fetch('/app-config.json', { headers: { accept: 'application/json' } });
  if (!res.ok) throw await errorOf(res);
  return res.json();
}

/**
 * One JSON call through the gateway with the session cookie (same origin), and on unsafe methods
 * the CSRF header. 401 → SignedOutError (the caller shows the signed-out state).
 */
export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const unsafe = method !== 'GET' && method !== 'HEAD';
  const res = await fetch(path, {
    method,
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(unsafe && csrfToken !== undefined ? { 'x-csrf-token': csrfToken } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  if (res.status === 401) throw new SignedOutError();
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

async function errorOf(res) {
  let body;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const code = typeof body?.code === 'string' ? body.code : `http_${res.status}`;
  const message = typeof body?.message === 'string' ? body.message : `The server answered ${res.status}.`;
  return new ApiError(res.status, code, message);
}

/** Ends the session (POST /session/logout, CSRF) and goes where the gateway says: auth's end-session page, then back. */
export async function signOut() {
  let answer;
  try {
    answer = await api('/session/logout', { method: 'POST' });
  } catch (e) {
    if (!(e instanceof SignedOutError)) throw e;
  }
  csrfToken = undefined;
  if (typeof answer?.logoutUrl === 'string') {
    location.assign(answer.logoutUrl);
    return;
  }
  showState('signed-out');
}

/**
 * Shows one of the page's states: 'loading', 'signed-out', 'signed-in' (elements marked by class),
 * or 'unavailable' (none of them: the status region says what failed).
 */
export function showState(state) {
  document.getElementById('loading').hidden = state !== 'loading';
  for (const el of document.querySelectorAll('.signed-out-only')) el.hidden = state !== 'signed-out';
  for (const el of document.querySelectorAll('.signed-in-only')) el.hidden = state !== 'signed-in';
  document.body.dataset.state = state;
}

/** Puts a message in the page's live region (read by screen readers); kind 'error' or 'info'. */
export function announce(message, kind = 'info') {
  const el = document.getElementById('status');
  el.textContent = message;
  el.dataset.kind = kind;
}

/** Messages for people, by the API's error code; others show the API's own message. */
const MESSAGES = {
  shipping_address_required: 'Add a shipping address to your profile before ordering.',
  csrf_failed: 'This page is out of date. Reload it and try again.',
  too_many_requests: 'Too many requests. Wait a moment and try again.',
};

/** The usual handling of a failed action: signed out → the signed-out state; anything else → the message. */
export function reportFailure(error) {
  if (error instanceof SignedOutError) {
    csrfToken = undefined;
    showState('signed-out');
    announce('You are signed out. Sign in again to continue.', 'error');
    return;
  }
  announce(error instanceof ApiError ? (MESSAGES[error.code] ?? error.message) : 'Something went wrong. Try again.', 'error');
}

/** A failure before the page knew whether anyone is signed in (the gateway away): say so, show no state. */
export function reportStartFailure(error) {
  if (document.body.dataset.state === undefined && !(error instanceof SignedOutError)) showState('unavailable');
  reportFailure(error);
}

/** "sub" or the e-mail address when the session carries one. */
export function whoOf(session) {
  return typeof session.email === 'string' && session.email !== '' ? session.email : session.sub;
}

/** A date for people: the browser's locale, date and time. */
export function formatDate(iso) {
  if (typeof iso !== 'string') return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString();
}

/** Wires the header's "Sign out" button. */
export function wireSignOut() {
  document.getElementById('sign-out').addEventListener('click', () => {
    signOut().catch(reportFailure);
  });
}
