import { randomBytes } from 'node:crypto';
import { type TestApp, createTestDatabase, waitFor } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { DpopKey } from '@authmesh/service-auth';
import { ISSUER, MULTI_CLIENT, ORDERS_CLIENT, basic, form, newAuthApp, post, uniqueEmail } from './auth-fixture.js';

/** An ops client like the suite's `authctl` (scope auth:admin, audience auth) that may also introspect any token (auth:introspect). */
const ADMIN_CLIENT = {
  clientId: 'ops-admin',
  secret: 'ops-admin-secret-0123456789AbCdEfGhIjKl',
  scopes: ['auth:admin', 'auth:introspect'],
  audiences: ['auth'],
};

interface ClientBody {
  clientId: string;
  clientSecret?: string;
  scopes: string[];
  audiences: string[];
  grantTypes: string[];
  enabled: boolean;
  createdAt: string;
}

describe('auth: clients admin API (create, list, disable) under scope auth:admin', () => {
  let app: TestApp<AuthConfig>;
  let adminToken: string;

  beforeAll(async () => {
    app = await newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, MULTI_CLIENT, ADMIN_CLIENT]) });
    const res = await clientCredentials(ADMIN_CLIENT.clientId, ADMIN_CLIENT.secret, { audience: 'auth', scope: 'auth:admin' });
    expect(res.status).toBe(200);
    adminToken = ((await res.json()) as { access_token: string }).access_token;
  });
  afterAll(async () => {
    await app?.close();
  });

  const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
  const uniqueId = (label: string): string => `${label}-${randomBytes(4).toString('hex')}`;

  async function clientCredentials(id: string, secret: string, extra: Record<string, string> = {}): Promise<Response> {
    const f = form({ grant_type: 'client_credentials', ...extra });
    return fetch(`${app.url}/oauth/token`, { method: 'POST', body: f.body, headers: { ...f.headers, authorization: basic(id, secret) } });
  }
  async function createClient(body: Record<string, unknown>, token = adminToken): Promise<Response> {
    return post(`${app.url}/admin/clients`, body, bearer(token));
  }
  /** As a client holding auth:introspect: introspection shows a token only to a client entitled to it (RFC 7662 §4). */
  async function introspect(token: string): Promise<boolean> {
    const f = form({ token });
    const res = await fetch(`${app.url}/oauth/introspect`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, authorization: basic(ADMIN_CLIENT.clientId, ADMIN_CLIENT.secret) },
    });
    return ((await res.json()) as { active: boolean }).active;
  }
  const disable = (clientId: string, token = adminToken): Promise<Response> =>
    fetch(`${app.url}/admin/clients/${encodeURIComponent(clientId)}/disable`, { method: 'POST', headers: bearer(token) });

  it('creates a client with a server-generated secret, shown once (no-store), that works at the token endpoint', async () => {
    const clientId = uniqueId('billing');
    const res = await createClient({ clientId, scopes: ['orders:read'], audiences: ['orders'] });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as ClientBody;
    expect(body).toEqual({
      clientId,
      clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), // 32 random bytes, base64url
      scopes: ['orders:read'],
      audiences: ['orders'],
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      redirectUris: [],
      postLogoutRedirectUris: [],
      firstParty: false,
      dpopBoundAccessTokens: false,
      enabled: true,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const token = await clientCredentials(clientId, body.clientSecret!);
    expect(token.status).toBe(200);
    expect(await token.json()).toMatchObject({ token_type: 'Bearer', scope: 'orders:read' });
  });

  it('registers a client that must use DPoP (dpopBoundAccessTokens): refused without a proof, a DPoP token with one', async () => {
    const clientId = uniqueId('dpop-only');
    const res = await createClient({ clientId, scopes: ['orders:read'], audiences: ['orders'], dpopBoundAccessTokens: true });
    expect(res.status).toBe(201);
    const body = (await res.json()) as ClientBody & { dpopBoundAccessTokens: boolean };
    expect(body.dpopBoundAccessTokens).toBe(true);
    const bare = await clientCredentials(clientId, body.clientSecret!);
    expect({ status: bare.status, body: await bare.json() }).toMatchObject({
      status: 400,
      body: { error: 'invalid_dpop_proof', code: 'dpop_proof_missing' },
    });
    const key = await DpopKey.generate();
    const f = form({ grant_type: 'client_credentials' });
    const bound = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, authorization: basic(clientId, body.clientSecret!), dpop: await key.proof('POST', `${ISSUER}/oauth/token`) },
    });
    expect({ status: bound.status, type: ((await bound.json()) as { token_type: string }).token_type }).toEqual({
      status: 200,
      type: 'DPoP',
    });
    const notBool = await createClient({ clientId: uniqueId('dpop-bad'), scopes: [], audiences: ['orders'], dpopBoundAccessTokens: 'yes' });
    expect(notBool.status).toBe(400);
    expect(JSON.stringify(await notBool.json())).toContain('dpopBoundAccessTokens');
  });

  it('lists every client without its secret or the secret hash', async () => {
    const clientId = uniqueId('listed');
    const created = (await (await createClient({ clientId, scopes: [], audiences: ['profiles'] })).json()) as ClientBody;
    const res = await fetch(`${app.url}/admin/clients`, { headers: bearer(adminToken) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(created.clientSecret!);
    // The method's name (RFC 7591 `client_secret_basic`) is the one "secret" the list may say.
    expect(text.replaceAll('"client_secret_basic"', '')).not.toMatch(/secret|hash|argon2/i);
    const { clients } = JSON.parse(text) as { clients: ClientBody[] };
    expect(clients.map((c) => c.clientId)).toEqual(expect.arrayContaining([ORDERS_CLIENT.clientId, ADMIN_CLIENT.clientId, clientId]));
    expect(clients.find((c) => c.clientId === clientId)).toEqual({
      clientId,
      scopes: [],
      audiences: ['profiles'],
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      redirectUris: [],
      postLogoutRedirectUris: [],
      firstParty: false,
      dpopBoundAccessTokens: false,
      enabled: true,
      createdAt: created.createdAt,
    });
  });

  it('disabling a client makes the token endpoint refuse it and revokes the tokens it already holds', async () => {
    const clientId = uniqueId('leaky');
    // Audience auth so that auth's own verifier (which only accepts `auth`) can be asked about its token.
    const created = (await (await createClient({ clientId, scopes: ['orders:read'], audiences: ['auth'] })).json()) as ClientBody;
    const issued = ((await (await clientCredentials(clientId, created.clientSecret!)).json()) as { access_token: string }).access_token;
    // Valid but not an admin: 403 before the disable.
    const before = await fetch(`${app.url}/admin/clients`, { headers: bearer(issued) });
    expect(before.status).toBe(403);
    expect(await before.json()).toMatchObject({ code: 'insufficient_scope' });
    expect(await introspect(issued)).toBe(true);

    const res = await disable(clientId);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ clientId, enabled: false });

    const refused = await clientCredentials(clientId, created.clientSecret!);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
    expect(await introspect(issued)).toBe(false);
    // Auth's own routes see the subject revocation through their mirror (the revocation stream: milliseconds).
    let after: Response | undefined;
    await waitFor(async () => (after = await fetch(`${app.url}/admin/clients`, { headers: bearer(issued) })).status === 401, 2000);
    expect(after!.headers.get('www-authenticate')).toContain('invalid_token');
    expect(await after!.json()).toMatchObject({ code: 'token_revoked' });
    const listed = (await (await fetch(`${app.url}/admin/clients`, { headers: bearer(adminToken) })).json()) as { clients: ClientBody[] };
    expect(listed.clients.find((c) => c.clientId === clientId)?.enabled).toBe(false);
  });

  it('disabling an unknown client answers 404 client_not_found and revokes nothing', async () => {
    const res = await disable('no-such-client');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'client_not_found' });
  });

  it('a malformed client id in the path is a 400 naming clientId', async () => {
    const res = await disable('bad id!');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'validation_failed', details: { fields: [{ field: 'clientId' }] } });
  });

  it('requires scope auth:admin: 403 insufficient_scope for a user token, 401 without a token', async () => {
    const email = uniqueEmail('notadmin');
    const password = 'correct horse battery';
    await post(`${app.url}/auth/register`, { email, password });
    const user = ((await (await post(`${app.url}/auth/login`, { email, password })).json()) as { access_token: string }).access_token;
    for (const res of [
      await createClient({ clientId: uniqueId('x'), scopes: [], audiences: ['orders'] }, user),
      await fetch(`${app.url}/admin/clients`, { headers: bearer(user) }),
      await disable(ORDERS_CLIENT.clientId, user),
    ]) {
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'insufficient_scope' });
    }
    const anonymous = await fetch(`${app.url}/admin/clients`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    // The user's client id was not disabled by the refused call.
    expect((await clientCredentials(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret)).status).toBe(200);
  });

  it.each([
    ['clientId', { clientId: 'has space', scopes: [], audiences: ['orders'] }],
    ['clientId', { clientId: 'x'.repeat(65), scopes: [], audiences: ['orders'] }],
    ['clientId', { scopes: [], audiences: ['orders'] }],
    ['clientId', { clientId: 'authmesh', scopes: [], audiences: ['orders'] }],
    ['clientId', { clientId: '0b6f9a52-3c4e-4a8e-9d7b-2f1e5c6d7a8b', scopes: [], audiences: ['orders'] }],
    ['scopes', { clientId: 'ok-client', scopes: ['two words'], audiences: ['orders'] }],
    ['scopes', { clientId: 'ok-client', scopes: ['quote"d'], audiences: ['orders'] }],
    ['scopes', { clientId: 'ok-client', audiences: ['orders'] }],
    ['audiences', { clientId: 'ok-client', scopes: [], audiences: [] }],
    ['audiences', { clientId: 'ok-client', scopes: [], audiences: 'orders' }],
    ['grantTypes', { clientId: 'ok-client', scopes: [], audiences: ['orders'], grantTypes: ['password'] }],
    ['grantTypes', { clientId: 'ok-client', scopes: [], audiences: ['orders'], grantTypes: [] }],
    ['clientSecret', { clientId: 'ok-client', scopes: [], audiences: ['orders'], clientSecret: 'chosen-by-caller' }],
  ])('rejects a bad body with 400 naming %s', async (field, body) => {
    const res = await createClient(body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { code: string; details: { fields: { field: string }[] } };
    expect(json.code).toBe('validation_failed');
    expect(json.details.fields.map((f) => f.field)).toContain(field);
  });

  it('refuses scopes and audiences outside the catalogue with 400 naming the field and listing the known ones', async () => {
    const clientId = uniqueId('typo');
    const res = await createClient({ clientId, scopes: ['nosuch:scope', 'orders:read'], audiences: ['orders', 'nowhere'] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; details: { fields: { field: string; problems: string[] }[] } };
    expect(body.code).toBe('validation_failed');
    const problems = Object.fromEntries(body.details.fields.map((f) => [f.field, f.problems.join(' ')]));
    expect(problems.scopes).toMatch(/^unknown scope "nosuch:scope"; known scopes: .*\borders:read\b/);
    expect(problems.scopes).toContain('auth:admin');
    expect(problems.scopes).toContain('a:read'); // declared by a seeded client (AUTH_SEED_CLIENTS)
    expect(problems.audiences).toMatch(/^unknown audience "nowhere"; known audiences: .*\bprofiles\b/);
    expect(problems.audiences).toContain('alpha');
    const listed = (await (await fetch(`${app.url}/admin/clients`, { headers: bearer(adminToken) })).json()) as { clients: ClientBody[] };
    expect(listed.clients.map((c) => c.clientId)).not.toContain(clientId);
  });

  it('accepts the RFC 8693 token-exchange grant type next to client_credentials', async () => {
    const clientId = uniqueId('exchanger');
    const grantTypes = ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'];
    const res = await createClient({ clientId, scopes: ['orders:read'], audiences: ['orders', 'profiles'], grantTypes });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ clientId, grantTypes });
  });

  it('answers 409 client_exists for a taken client id and leaves that client untouched', async () => {
    const res = await createClient({ clientId: ORDERS_CLIENT.clientId, scopes: ['auth:admin'], audiences: ['auth'] });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'client_exists' });
    // The seeded secret and audience still work; the attempted scopes were not granted.
    const token = await clientCredentials(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret);
    expect(token.status).toBe(200);
    expect(await token.json()).toMatchObject({ scope: 'profiles:read' });
  });
});

describe('a client disabled by an operator stays disabled when auth restarts', () => {
  it('does not re-enable a disabled client that is still in AUTH_SEED_CLIENTS', async () => {
    // An id of its own: a disable revokes the client's subject in the Redis every test file shares.
    const seeded = { ...ORDERS_CLIENT, clientId: `restart-${randomBytes(4).toString('hex')}` };
    const db = await createTestDatabase('auth');
    const env = {
      AUTH_DATABASE_URL: db.url,
      AUTH_KEK: randomBytes(32).toString('base64'),
      AUTH_SEED_CLIENTS: JSON.stringify([seeded, ADMIN_CLIENT]),
    };
    const tokenFor = async (app: TestApp, client: typeof ADMIN_CLIENT, audience: string): Promise<Response> => {
      const f = form({ grant_type: 'client_credentials', audience });
      return fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        body: f.body,
        headers: { ...f.headers, authorization: basic(client.clientId, client.secret) },
      });
    };
    try {
      const first = await newAuthApp(env);
      try {
        const admin = ((await (await tokenFor(first, ADMIN_CLIENT, 'auth')).json()) as { access_token: string }).access_token;
        const res = await fetch(`${first.url}/admin/clients/${seeded.clientId}/disable`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin}` },
        });
        expect(res.status).toBe(200);
        expect((await tokenFor(first, seeded, 'profiles')).status).toBe(401);
      } finally {
        await first.close();
      }
      const second = await newAuthApp(env);
      try {
        const refused = await tokenFor(second, seeded, 'profiles');
        expect(refused.status).toBe(401);
        expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');
        expect((await tokenFor(second, ADMIN_CLIENT, 'auth')).status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  });
});
