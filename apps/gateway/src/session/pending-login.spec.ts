import { PendingLogins, pendingKey } from './pending-login.js';
import { newSessionId, sessionHash } from './session-seal.js';
import { MemorySessionStore } from './session-store.js';

const login = { state: 's'.repeat(43), nonce: 'n'.repeat(43), codeVerifier: 'v'.repeat(43), returnTo: '/account', startedAt: 1 };

describe('pending logins', () => {
  let store: MemorySessionStore;
  let pending: PendingLogins;
  beforeEach(() => {
    store = new MemorySessionStore();
    pending = new PendingLogins(store, 600);
  });

  it('gives the login back once to the id that started it (a replayed callback finds nothing)', async () => {
    const id = await pending.start(login);
    expect(await pending.take(id)).toEqual(login);
    expect(await pending.take(id)).toBeUndefined();
  });

  it('gives nothing to another id, a malformed one, or none', async () => {
    await pending.start(login);
    expect(await pending.take(newSessionId())).toBeUndefined();
    expect(await pending.take('not-an-id')).toBeUndefined();
    expect(await pending.take(undefined)).toBeUndefined();
  });

  it('stores the verifier sealed under a hash of the id: the store holds neither the id nor the secrets', async () => {
    const id = await pending.start(login);
    const sealed = (await store.get(pendingKey(sessionHash(id))))!;
    for (const secret of [id, login.state, login.nonce, login.codeVerifier, '/account']) expect(sealed).not.toContain(secret);
  });

  it('does not open a value planted under the key by someone without the id', async () => {
    const id = await pending.start(login);
    const key = pendingKey(sessionHash(id));
    const sealed = (await store.get(key))!;
    await store.set(key, `${sealed.slice(0, -4)}AAAA`, 60_000);
    expect(await pending.take(id)).toBeUndefined();
  });
});
