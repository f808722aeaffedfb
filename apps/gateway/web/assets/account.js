// The account page: where the user is signed in (auth's refresh families), "sign out this one",
// "sign out everywhere", and the link to auth's change-password page.
/* global document */
import {
  announce,
  api,
  formatDate,
  loadAppConfig,
  loadSession,
  reportFailure,
  reportStartFailure,
  showState,
  signOut,
  whoOf,
  wireSignOut,
} from './session.js';

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function renderSessions(sessions) {
  const body = document.querySelector('#sessions tbody');
  // This browser's session first, then the others as auth lists them.
  const ordered = [...sessions].sort((a, b) => Number(b.current === true) - Number(a.current === true));
  body.replaceChildren(
    ...ordered.map((s) => {
      const tr = document.createElement('tr');
      tr.dataset.sessionId = s.id;
      if (s.current) tr.dataset.current = 'true';
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'revoke-session';
      button.textContent = 'Sign out this one';
      button.setAttribute('aria-label', `Sign out this one: ${s.clientId}, signed in ${formatDate(s.createdAt)}`);
      button.addEventListener('click', () => {
        button.disabled = true;
        revoke(s).catch((e) => {
          button.disabled = false;
          reportFailure(e);
        });
      });
      const actions = document.createElement('td');
      actions.append(button);
      tr.append(
        cell(formatDate(s.createdAt)),
        cell(formatDate(s.lastUsedAt)),
        cell(s.current ? `${s.clientId} (this browser)` : s.clientId),
        actions,
      );
      return tr;
    }),
  );
}

async function loadSessions() {
  const answer = await api('/auth/sessions');
  renderSessions(answer.sessions);
}

async function revoke(s) {
  await api(`/auth/sessions/${encodeURIComponent(s.id)}/revoke`, { method: 'POST' });
  // This browser's own family: the gateway's session is dead with it; end it here too.
  if (s.current) return signOut();
  await loadSessions();
  announce('That session is signed out.');
}

async function signOutEverywhere() {
  await api('/auth/logout-all', { method: 'POST' });
  // Every family is revoked, this browser's too: end the gateway's session and auth's SSO session.
  await signOut();
}

async function start() {
  wireSignOut();
  const everywhere = document.getElementById('sign-out-everywhere');
  everywhere.addEventListener('click', () => {
    everywhere.disabled = true;
    signOutEverywhere()
      .catch(reportFailure)
      .finally(() => (everywhere.disabled = false));
  });
  const [session, config] = await Promise.all([loadSession(), loadAppConfig()]);
  document.getElementById('change-password').href = config.changePasswordUrl;
  if (!session.authenticated) return showState('signed-out');
  document.getElementById('signed-in-as').textContent = whoOf(session);
  showState('signed-in');
  await loadSessions();
}

start().catch(reportStartFailure);
