// The home page: signed out → "Sign in"; signed in → the profile, the orders, a new order.
/* global document, crypto */
import { announce, api, formatDate, loadSession, reportFailure, reportStartFailure, showState, whoOf, wireSignOut } from './session.js';

const money = (minor, currency) => `${(minor / 100).toFixed(2)} ${currency}`;

function renderProfile(profile) {
  document.getElementById('profile-name').textContent = profile.displayName ?? '—';
  const a = profile.shippingAddress;
  document.getElementById('profile-address').textContent = a
    ? [a.line1, a.line2, `${a.postalCode} ${a.city}`, a.country].filter(Boolean).join(', ')
    : '—';
  const form = document.getElementById('profile-form');
  form.elements.displayName.value = profile.displayName ?? '';
  form.elements.line1.value = a?.line1 ?? '';
  form.elements.city.value = a?.city ?? '';
  form.elements.postalCode.value = a?.postalCode ?? '';
  form.elements.country.value = a?.country ?? '';
  // Orders need an address: open the editor until there is one.
  document.getElementById('profile-editor').open = !a;
}

function renderOrders(orders) {
  const list = document.getElementById('orders');
  list.replaceChildren(
    ...orders.map((o) => {
      const li = document.createElement('li');
      li.dataset.orderId = o.id;
      const items = o.items.map((i) => `${i.quantity} × ${i.sku}`).join(', ');
      li.textContent = `${formatDate(o.createdAt)} · ${items} · ${money(o.total, o.currency)} · ${o.status}`;
      return li;
    }),
  );
  document.getElementById('orders-empty').hidden = orders.length > 0;
}

async function refresh() {
  const [profile, orders] = await Promise.all([api('/api/profiles/me'), api('/api/orders?limit=20')]);
  renderProfile(profile);
  renderOrders(orders.items);
}

async function saveProfile(form) {
  const v = (name) => form.elements[name].value.trim();
  const profile = await api('/api/profiles/me', {
    method: 'PUT',
    body: {
      displayName: v('displayName'),
      shippingAddress: { line1: v('line1'), city: v('city'), postalCode: v('postalCode'), country: v('country') },
    },
  });
  renderProfile(profile);
  announce('Profile saved.');
}

async function createOrder(form) {
  const quantity = Number(form.elements.quantity.value);
  const order = await api('/api/orders', {
    method: 'POST',
    body: { items: [{ sku: form.elements.sku.value, quantity }], currency: 'EUR' },
    // One key per submission: a retried request (a flaky network) places the order once.
    headers: { 'idempotency-key': crypto.randomUUID() },
  });
  await refresh();
  announce(`Order placed: ${money(order.total, order.currency)}.`);
}

function onSubmit(id, action) {
  const form = document.getElementById(id);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    action(form)
      .catch(reportFailure)
      .finally(() => (button.disabled = false));
  });
}

async function start() {
  wireSignOut();
  onSubmit('profile-form', saveProfile);
  onSubmit('order-form', createOrder);
  const session = await loadSession();
  if (!session.authenticated) return showState('signed-out');
  document.getElementById('signed-in-as').textContent = whoOf(session);
  showState('signed-in');
  await refresh();
}

start().catch(reportStartFailure);
