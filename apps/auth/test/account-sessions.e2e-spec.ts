import { type TestApp, waitFor } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { ORDERS_CLIENT, basic, form, isActive, newAuthApp, post, uniqueEmail } from './auth-fixture.js';

/** A service client whose client-credentials tokens auth's own verifier accepts (audience auth). */
const AUDITOR = { clientId: 'auditor', secret: 'auditor-secret-0123456789AbCdEfGhIjKl', scopes: [] as string[], audiences: ['auth'] };

const password = 'correct horse battery';

interface Tokens {
  access_token: string;
  refresh_token: string;
}
interface SessionsBody {
  sessions: { id: string; clientId: string; createdAt: string; lastUsedAt: string; current: boolean }[];
}

describe('auth: the account API (GET /auth/sessions, POST /auth/sessions/:id/revoke)', () => {
  let app: TestApp<AuthConfig>;

  beforeAll(async () => {
    app = await newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, AUDITOR]) });
  });
  afterAll(async () => {
    await app?.close();
  });

  const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
  const login = async (email: string): Promise<Tokens> =>
    (await (await post(`${app.url}/auth/login`, { email, password })).json()) as Tokens;
  async function user(): Promise<string> {
    const email = uniqueEmail('acct');
    expect((await post(`${app.url}/auth/register`, { email, password })).status).toBe(202);
    return email;
  }
  const sessions = async (token: string): Promise<Response> => fetch(`${app.url}/auth/sessions`, { headers: bearer(token) });
  const revoke = async (token: string | undefined, id: string): Promise<Response> =>
    post(`${app.url}/auth/sessions/${encodeURIComponent(id)}/revoke`, {}, token ? bearer(token) : {});
  const refresh = async (refresh_token: string): Promise<Response> => {
    const f = form({ grant_type: 'refresh_token', refresh_token });
    return fetch(`${app.url}/oauth/token`, { method: 'POST', body: f.body, headers: f.headers });
  };
  const introspect = (token: string): Promise<boolean> => isActive(app.url, token);

  it('lists both logins of a user, marks the current one, and revoking one kills its refresh and access tokens only', async () => {
    const email = await user();
    const first = await login(email);
    const second = await login(email);

    const res = await sessions(first.access_token);
    expect(res.status).toBe(200);
    const listed = ((await res.json()) as SessionsBody).sessions;
    expect(listed).toHaveLength(2);
    for (const s of listed) {
      expect(s.clientId).toBe(app.config.auth.userClientId);
      expect(Date.parse(s.createdAt)).not.toBeNaN();
      expect(Date.parse(s.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(s.createdAt));
    }
    const current = listed.filter((s) => s.current);
    expect(current).toHaveLength(1);
    const otherListing = ((await (await sessions(second.access_token)).json()) as SessionsBody).sessions;
    const secondId = otherListing.find((s) => s.current)!.id;
    expect(secondId).not.toBe(current[0]!.id);

    // From the first device, sign out the second.
    const revoked = await revoke(first.access_token, secondId);
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({ revoked: true });

    // Its refresh token is dead, and its access token is refused at once (blocklisted, not left to expire):
    // by auth's own verifier and by introspection.
    expect((await refresh(second.refresh_token)).status).toBe(400);
    expect(await introspect(second.access_token)).toBe(false);
    // Auth's own routes see the blocklist entry through their mirror (the revocation stream: milliseconds).
    let refused: Response | undefined;
    await waitFor(async () => (refused = await sessions(second.access_token)).status === 401, 2000);
    expect(await refused!.json()).toMatchObject({ code: 'token_revoked' });

    // The first device goes on, and no longer sees the revoked session.
    const after = ((await (await sessions(first.access_token)).json()) as SessionsBody).sessions;
    expect(after.map((s) => s.id)).toEqual([current[0]!.id]);
    expect(await introspect(first.access_token)).toBe(true);
    expect((await refresh(first.refresh_token)).status).toBe(200);
  });

  it("answers another user's session id exactly as an unknown one: 404 session_not_found, and the session lives on", async () => {
    const victim = await login(await user());
    const victimId = ((await (await sessions(victim.access_token)).json()) as SessionsBody).sessions[0]!.id;
    const attacker = await login(await user());

    const theirs = await revoke(attacker.access_token, victimId);
    const unknown = await revoke(attacker.access_token, '00000000-0000-4000-8000-000000000000');
    const malformed = await revoke(attacker.access_token, 'not-a-uuid');
    for (const res of [theirs, unknown, malformed]) expect(res.status).toBe(404);
    const bodies = await Promise.all([theirs, unknown, malformed].map(async (r) => (await r.json()) as { code: string; message: string }));
    for (const b of bodies) expect(b).toMatchObject({ code: 'session_not_found', message: bodies[0]!.message });

    expect(await introspect(victim.access_token)).toBe(true);
    expect((await refresh(victim.refresh_token)).status).toBe(200);
  });

  it('needs a token: 401 without one, on both routes', async () => {
    const listing = await fetch(`${app.url}/auth/sessions`);
    expect(listing.status).toBe(401);
    const revoking = await revoke(undefined, '00000000-0000-4000-8000-000000000000');
    expect(revoking.status).toBe(401);
  });

  it('refuses a client-credentials token: a service has no sessions (403 user_token_required)', async () => {
    const f = form({ grant_type: 'client_credentials', audience: 'auth' });
    const issued = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, authorization: basic(AUDITOR.clientId, AUDITOR.secret) },
    });
    expect(issued.status).toBe(200);
    const { access_token } = (await issued.json()) as { access_token: string };
    const res = await sessions(access_token);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'user_token_required' });
  });
});
