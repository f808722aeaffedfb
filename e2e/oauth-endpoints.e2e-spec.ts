import pg from 'pg';
import { newTestApp, type TestApp, waitFor } from '@authmesh/testing';
import { profilesApp } from '../apps/profiles/src/profiles.app.js';
import type { AuthConfig } from '../apps/auth/src/config/auth.config.js';
import { ISSUER, MULTI_CLIENT, ORDERS_CLIENT, basic, form, newAuthApp, post, uniqueEmail } from '../apps/auth/test/auth-fixture.js';

/** May introspect any access token: its client record holds scope auth:introspect. */
const INTROSPECTOR = {
  clientId: 'introspector',
  secret: 'introspector-secret-0123456789AbCdEfGhIjKl',
  scopes: ['auth:introspect'],
  audiences: ['auth'],
};
/** A client that calls both orders and profiles: its tokens are for one resource server each. */
const BILLING = {
  clientId: 'billing',
  secret: 'billing-secret-0123456789AbCdEfGhIjKl',
  scopes: ['orders:read'],
  audiences: ['orders', 'profiles'],
};
const password = 'correct horse battery';

interface Answer {
  status: number;
  text: string;
  body: Record<string, unknown>;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

// Findings 3 and 5 of the security review, as an attacker would send them, against a real auth
// (Postgres, Redis) and a real verifier (profiles) on real sockets.
describe('auth: OAuth endpoints refuse what the security review tried', () => {
  let app: TestApp<AuthConfig>;
  let profiles: TestApp;

  beforeAll(async () => {
    app = await newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, MULTI_CLIENT, INTROSPECTOR, BILLING]) });
    profiles = await newTestApp(profilesApp, { AUTH_ISSUER: ISSUER, AUTH_JWKS_URI: `${app.url}/.well-known/jwks.json` });
  });
  afterAll(async () => {
    await profiles?.close();
    await app?.close();
  });

  async function token(values: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
    const f = form(values);
    return answer(await fetch(`${app.url}/oauth/token`, { method: 'POST', body: f.body, headers: { ...f.headers, ...headers } }));
  }
  async function login(email: string): Promise<{ access_token: string; refresh_token: string }> {
    const res = await post(`${app.url}/auth/login`, { email, password });
    expect(res.status).toBe(200);
    return (await res.json()) as { access_token: string; refresh_token: string };
  }
  async function newSession(label: string): Promise<{ access_token: string; refresh_token: string }> {
    const email = uniqueEmail(label);
    expect((await post(`${app.url}/auth/register`, { email, password })).status).toBe(202);
    return login(email);
  }
  const whoami = async (accessToken: string): Promise<{ status: number; code?: string }> => {
    const res = await fetch(`${profiles.url}/whoami`, { headers: { authorization: `Bearer ${accessToken}` } });
    return { status: res.status, code: ((await res.json()) as { code?: string }).code };
  };
  async function familyRevokedReason(refreshToken: string): Promise<string | null> {
    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ revoked_reason: string | null }>(
        `SELECT f.revoked_reason FROM refresh_families f JOIN refresh_tokens t ON t.family_id = f.id
         WHERE t.token_hash = sha256(convert_to($1, 'UTF8'))`,
        [refreshToken],
      );
      return rows[0]?.revoked_reason ?? null;
    } finally {
      await db.end();
    }
  }

  describe('finding 3: replaying a used refresh token revokes its family, whatever else the request says', () => {
    it.each([
      ['a malformed scope', { scope: 'orders:read "quoted"' }, {}],
      ['a scope the family does not have', { scope: 'auth:admin' }, {}],
      [
        'another client (a used token is evidence of theft whoever presents it)',
        {},
        { authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) },
      ],
    ])(
      'with %s: invalid_grant, the live access token is token_revoked at a verifier, the newest refresh token is refused',
      async (_label, extra, headers) => {
        const first = await newSession('reuse-probe');
        const rotated = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
        expect(rotated.status).toBe(200);
        const live = rotated.body as { access_token: string; refresh_token: string };
        expect(await whoami(live.access_token)).toEqual({ status: 200, code: undefined });

        const replay = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token, ...extra }, headers);
        expect(replay.status).toBe(400);
        expect(replay.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });

        expect(await familyRevokedReason(live.refresh_token)).toBe('reuse_detected');
        await waitFor(async () => (await whoami(live.access_token)).code === 'token_revoked', 2000, 10);
        expect(await whoami(live.access_token)).toEqual({ status: 401, code: 'token_revoked' });
        const newest = await token({ grant_type: 'refresh_token', refresh_token: live.refresh_token });
        expect(newest.status).toBe(400);
        expect(newest.body).toMatchObject({ error: 'invalid_grant' });
      },
    );

    it('still refuses a live token presented by another client without spending it (RFC 6749 §6)', async () => {
      const session = await newSession('live-other-client');
      const other = await token(
        { grant_type: 'refresh_token', refresh_token: session.refresh_token },
        { authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) },
      );
      expect(other.status).toBe(400);
      expect(other.body).toMatchObject({ error: 'invalid_grant' });
      expect(await familyRevokedReason(session.refresh_token)).toBeNull();
      expect((await token({ grant_type: 'refresh_token', refresh_token: session.refresh_token })).status).toBe(200);
    });
  });

  describe('finding 5: introspection shows a token only to a client entitled to it (RFC 7662 §4)', () => {
    async function introspect(tokenValue: string, client: { clientId: string; secret: string }): Promise<Answer> {
      const f = form({ token: tokenValue });
      return answer(
        await fetch(`${app.url}/oauth/introspect`, {
          method: 'POST',
          body: f.body,
          headers: { ...f.headers, authorization: basic(client.clientId, client.secret) },
        }),
      );
    }
    async function clientToken(client: { clientId: string; secret: string }, audience: string): Promise<string> {
      const res = await token({ grant_type: 'client_credentials', audience }, { authorization: basic(client.clientId, client.secret) });
      expect(res.status).toBe(200);
      return res.body.access_token as string;
    }

    it('answers another audience’s valid token with exactly the body of garbage: { "active": false }', async () => {
      const alphaToken = await clientToken(MULTI_CLIENT, 'alpha'); // aud alpha; orders may only obtain tokens for profiles
      const refused = await introspect(alphaToken, ORDERS_CLIENT);
      const garbage = await introspect('not-a-token', ORDERS_CLIENT);
      expect(refused.status).toBe(200);
      expect(refused.body).toEqual({ active: false });
      expect(refused.text).toBe(garbage.text);
      // A user's token (aud auth gateway orders profiles) is none of multi's business either.
      const user = await newSession('introspect-user');
      expect((await introspect(user.access_token, MULTI_CLIENT)).body).toEqual({ active: false });
    });

    it('shows the claims to the resource server the token is for, and to the client it was issued to', async () => {
      // multi's own token: the client it was issued to may check it.
      const alphaToken = await clientToken(MULTI_CLIENT, 'alpha');
      expect((await introspect(alphaToken, MULTI_CLIENT)).body).toMatchObject({ active: true, aud: 'alpha', client_id: 'multi' });
      // A user's token names orders among its audiences: the orders service (client `orders`) may see it.
      const user = await newSession('introspect-entitled');
      expect((await introspect(user.access_token, ORDERS_CLIENT)).body).toMatchObject({ active: true, client_id: 'authmesh' });
    });

    it('judges by the resource server the token is for, not by the audiences the caller calls', async () => {
      // The orders client calls profiles (its audiences: profiles) and is the resource server `orders`.
      const forProfiles = await clientToken(BILLING, 'profiles');
      const forOrders = await clientToken(BILLING, 'orders');
      expect((await introspect(forProfiles, ORDERS_CLIENT)).body).toEqual({ active: false });
      expect((await introspect(forOrders, ORDERS_CLIENT)).body).toMatchObject({ active: true, aud: 'orders', client_id: 'billing' });
    });

    it('shows any token to a client holding auth:introspect', async () => {
      const alphaToken = await clientToken(MULTI_CLIENT, 'alpha');
      expect((await introspect(alphaToken, INTROSPECTOR)).body).toMatchObject({ active: true, aud: 'alpha', sub: 'multi' });
    });
  });
});
