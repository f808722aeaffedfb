// The account page: where the user is signed in (auth's refresh families), "sign out this one",
// "sign out everywhere", the user's API keys (list, create — shown once —, revoke), and the link to
// auth's change-password page.
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

// API keys: the user's own (`/auth/api-keys` through the gateway, the session's token; CSRF checked).
function keyState(k) {
  if (k.revokedAt) return 'revoked';
  if (k.expiresAt && Date.parse(k.expiresAt) <= Date.now()) return 'expired';
  return k.replacedBy ? 'in grace' : 'active';
}

function renderApiKeys(keys) {
  const body = document.querySelector('#api-keys tbody');
  body.replaceChildren(
    ...keys.map((k) => {
      const tr = document.createElement('tr');
      tr.dataset.apiKeyId = k.id;
      tr.dataset.state = keyState(k);
      const actions = document.createElement('td');
      if (tr.dataset.state === 'active' || tr.dataset.state === 'in grace') {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'revoke-api-key danger';
        button.textContent = 'Revoke';
        button.setAttribute('aria-label', `Revoke API key ${k.name} (${k.prefix}…)`);
        button.addEventListener('click', () => {
          button.disabled = true;
          revokeApiKey(k).catch((e) => {
            button.disabled = false;
            reportFailure(e);
          });
        });
        actions.append(button);
      }
      tr.append(
        cell(k.name),
        cell(`${k.prefix}…`),
        cell(k.scopes.join(' ')),
        cell(k.lastUsedAt ? formatDate(k.lastUsedAt) : 'never'),
        cell(tr.dataset.state),
        actions,
      );
      return tr;
    }),
  );
}

async function loadApiKeys() {
  const answer = await api('/auth/api-keys');
  renderApiKeys(answer.apiKeys);
}

async function createApiKey(form) {
  const scopes = [...form.querySelectorAll('input[name="scope"]:checked')].map((i) => i.value);
  if (scopes.length === 0) return announce('Choose at least one scope.', 'error');
  // Each scope names its service (`orders:read` → orders): the key's audiences are those services.
  const audiences = [...new Set(scopes.map((s) => s.split(':')[0]))];
  const created = await api('/auth/api-keys', { method: 'POST', body: { name: form.elements.name.value, scopes, audiences } });
  document.getElementById('new-api-key-value').textContent = created.key;
  document.getElementById('new-api-key').hidden = false;
  form.reset();
  await loadApiKeys();
  announce('Key created. Copy it now: it is shown only once.');
}

async function revokeApiKey(k) {
  await api(`/auth/api-keys/${encodeURIComponent(k.id)}/revoke`, { method: 'POST' });
  await loadApiKeys();
  announce(`Key ${k.name} is revoked.`);
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
  const keyForm = document.getElementById('new-api-key-form');
  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = document.getElementById('create-api-key');
    button.disabled = true;
    createApiKey(keyForm)
      .catch(reportFailure)
      .finally(() => (button.disabled = false));
  });
  await Promise.all([loadSessions(), loadApiKeys()]);
}

start().catch(reportStartFailure);
