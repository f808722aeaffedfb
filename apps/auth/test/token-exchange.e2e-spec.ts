import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { OwnedRedis, type TestApp, waitFor } from '@authmesh/testing';
import { RevocationMirror } from '@authmesh/revocation';
import type { AuthConfig } from '../src/config/auth.config.js';
import { Keyring } from '../src/keys/keyring.service.js';
import { AccessTokenIssuer, type AccessTokenRequest } from '../src/tokens/access-token.issuer.js';
import { GATEWAY_CLIENT, ISSUER, ORDERS_CLIENT, basic, form, newAuthApp, post, uniqueEmail } from './auth-fixture.js';

const EXCHANGE = GRANT_TOKEN_EXCHANGE;
const ACCESS_TOKEN_TYPE = TOKEN_TYPE_ACCESS_TOKEN;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

// RFC 8693 over HTTP against the real auth service (Postgres, Redis). Subject tokens that /auth/login
// can't produce (expired, foreign issuer, narrower audience, an earlier actor) are signed by the
// app's own AccessTokenIssuer and Keyring, so only the property under test differs.
describe('auth: RFC 8693 token exchange at POST /oauth/token', () => {
  let app: TestApp<AuthConfig>;
  let userId: string;
  let userToken: string;
  const email = uniqueEmail('exchange');
  const password = 'a sufficiently long passphrase';

  beforeAll(async () => {
    app = await newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, GATEWAY_CLIENT]) });
    const reg = await post(`${app.url}/auth/register`, { email, password });
    expect(reg.status).toBe(202);
    userToken = await login();
    userId = decodeJwt(userToken).sub!; // registration answers without an id (no enumeration)
  });
  afterAll(() => app?.close());

  async function login(): Promise<string> {
    const res = await post(`${app.url}/auth/login`, { email, password });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  const gatewayAuth = basic(GATEWAY_CLIENT.clientId, GATEWAY_CLIENT.secret);

  /** POST /oauth/token as a form; `fields` may repeat a parameter by giving an array. */
  async function token(fields: Record<string, string | string[] | undefined>, authorization: string | undefined = gatewayAuth) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const value of v === undefined ? [] : [v].flat()) body.append(k, value);
    const headers: Record<string, string> = { ...form({}).headers, ...(authorization ? { authorization } : {}) };
    const res = await fetch(`${app.url}/oauth/token`, { method: 'POST', headers, body: body.toString() });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> } satisfies Answer;
  }

  const exchange = (subjectToken: string, extra: Record<string, string | string[] | undefined> = {}, authorization?: string) =>
    token(
      { grant_type: EXCHANGE, subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE, audience: 'orders', ...extra },
      authorization,
    );

  /** An RFC 6749 §5.2 error: status, `error`, a description (matching `why`: the rule that refused) and no-store. */
  function expectOAuthError(answer: Answer, error: string, why: RegExp = /./, status = 400): void {
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status, error });
    expect(answer.body.error_description).toMatch(why);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).not.toHaveProperty('access_token');
  }

  /** A subject token signed by auth itself, for this user unless overridden. */
  async function subjectToken(overrides: Partial<AccessTokenRequest> = {}, issuedAt = new Date()): Promise<string> {
    const req: AccessTokenRequest = {
      sub: userId,
      clientId: 'authmesh',
      audience: ['auth', 'gateway', 'orders', 'profiles'],
      scope: 'orders:read orders:write profiles:read',
      ...overrides,
    };
    return (await app.app.get(AccessTokenIssuer).issue(req, issuedAt)).token;
  }

  const secondsAgo = (s: number): Date => new Date(Date.now() - s * 1000);

  describe('issues a narrower token for one audience', () => {
    it('keeps sub, sets aud to the one audience, client_id and act to the exchanging client, a new jti, scopes of the audience', async () => {
      const answer = await exchange(userToken);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      // RFC 8693 §2.2.1: issued_token_type is required; no refresh token.
      expect(answer.body).toEqual({
        access_token: expect.any(String),
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        scope: 'orders:read orders:write',
      });
      const issued = answer.body.access_token as string;
      expect(decodeProtectedHeader(issued)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
      const claims = decodeJwt(issued);
      const subject = decodeJwt(userToken);
      expect(claims).toEqual({
        iss: ISSUER,
        sub: userId,
        aud: ['orders'],
        client_id: 'gateway',
        act: { sub: 'gateway' },
        scope: 'orders:read orders:write',
        jti: expect.any(String),
        iat: expect.any(Number),
        nbf: claims.iat,
        exp: expect.any(Number),
      });
      expect(claims.jti).not.toBe(subject.jti);
      expect(claims.exp!).toBeLessThanOrEqual(subject.exp!);
      expect(claims.exp! - claims.iat!).toBe(answer.body.expires_in);
    });

    it('narrows to the requested scope', async () => {
      const answer = await exchange(userToken, { scope: 'orders:read' });
      expect(answer.status).toBe(200);
      expect(answer.body.scope).toBe('orders:read');
      expect(decodeJwt(answer.body.access_token as string).scope).toBe('orders:read');
    });

    it('takes client_secret_post and resource as a synonym of audience', async () => {
      const credentials = { client_id: GATEWAY_CLIENT.clientId, client_secret: GATEWAY_CLIENT.secret };
      const noBasicHeader = '';
      const answer = await exchange(userToken, { audience: undefined, resource: 'profiles', ...credentials }, noBasicHeader);
      expect(answer.status).toBe(200);
      expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ aud: ['profiles'], scope: 'profiles:read profiles:write' });
    });

    it('never outlives its subject token: exp is the subject exp when that comes first', async () => {
      const subject = await subjectToken({}, secondsAgo(200)); // 300 s lifetime: 100 s left
      const answer = await exchange(subject);
      expect(answer.status).toBe(200);
      const claims = decodeJwt(answer.body.access_token as string);
      expect(claims.exp).toBe(decodeJwt(subject).exp);
      expect(answer.body.expires_in).toBeGreaterThan(0);
      expect(answer.body.expires_in).toBeLessThanOrEqual(100);
    });

    it('nests the act of a subject token that was already exchanged (RFC 8693 §4.1)', async () => {
      const subject = await subjectToken({ act: { sub: 'upstream' } });
      const answer = await exchange(subject);
      expect(answer.status).toBe(200);
      expect(decodeJwt(answer.body.access_token as string).act).toEqual({ sub: 'gateway', act: { sub: 'upstream' } });
    });
  });

  describe('only a client allowed the token-exchange grant may exchange', () => {
    it('answers unauthorized_client to a client without the grant', async () => {
      expectOAuthError(
        await exchange(userToken, {}, basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret)),
        'unauthorized_client',
        /token-exchange/,
      );
    });

    it('answers 401 invalid_client to wrong client credentials', async () => {
      const answer = await exchange(userToken, {}, basic(GATEWAY_CLIENT.clientId, 'wrong-secret-0123456789AbCdEfGhIjKl'));
      expectOAuthError(answer, 'invalid_client', /./, 401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Basic /);
    });

    it('answers unauthorized_client to client_credentials from a client seeded with only the token-exchange grant', async () => {
      expectOAuthError(await token({ grant_type: 'client_credentials', audience: 'orders' }), 'unauthorized_client', /client_credentials/);
    });
  });

  describe('malformed requests are invalid_request', () => {
    it.each<[string, Record<string, string | string[] | undefined>, RegExp]>([
      ['a missing subject_token_type', { subject_token_type: undefined }, /subject_token_type/],
      ['a JWT subject_token_type', { subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' }, /subject_token_type/],
      [
        'a refresh-token subject_token_type',
        { subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' },
        /subject_token_type/,
      ],
      ['a missing subject_token', { subject_token: undefined }, /subject_token/],
      ['a missing audience', { audience: undefined }, /audience/],
      ['two audiences', { audience: ['orders', 'profiles'] }, /audience must not be repeated/],
      ['two space-separated audiences', { audience: 'orders profiles' }, /one audience/],
      ['an audience and a resource', { resource: 'profiles' }, /not both/],
      ['an actor_token', { actor_token: 'x', actor_token_type: ACCESS_TOKEN_TYPE }, /actor_token/],
    ])('refuses %s', async (_label, extra, why) => {
      expectOAuthError(await exchange(userToken, extra), 'invalid_request', why);
    });
  });

  describe('the audience: the client must be allowed it, and the subject token must already be good for it', () => {
    it('answers invalid_target for an audience the client may not have', async () => {
      expectOAuthError(await exchange(userToken, { audience: 'auth' }), 'invalid_target', /client may not/);
    });

    it('answers invalid_target for an audience the subject token was not issued for', async () => {
      const subject = await subjectToken({ audience: ['gateway', 'orders'] });
      expect((await exchange(subject, { audience: 'orders' })).status).toBe(200);
      expectOAuthError(await exchange(subject, { audience: 'profiles' }), 'invalid_target', /subject_token is not valid for/);
    });
  });

  describe('scopes never widen', () => {
    it.each([
      ['a scope the subject token lacks', 'orders:read orders:admin', /not granted to the subject_token: orders:admin$/],
      ['a scope of another audience', 'profiles:read', /not for the requested audience: profiles:read$/],
    ])('answers invalid_scope to %s', async (_label, scope, why) => {
      expectOAuthError(await exchange(userToken, { scope }), 'invalid_scope', why);
    });

    it('answers invalid_scope when the subject token has no scope for the audience', async () => {
      expectOAuthError(await exchange(await subjectToken({ scope: 'profiles:read' })), 'invalid_scope', /no scope for/);
    });
  });

  describe('the subject token is verified fully; every failure is invalid_grant', () => {
    it('refuses an expired subject token', async () => {
      expectOAuthError(await exchange(await subjectToken({}, secondsAgo(400))), 'invalid_grant', /not a valid access token/);
    });

    it('refuses a subject token past its exp even inside the verifiers’ clock tolerance', async () => {
      expectOAuthError(await exchange(await subjectToken({}, secondsAgo(305))), 'invalid_grant', /expired/);
    });

    it('refuses a subject token whose claims were altered (bad signature)', async () => {
      const [header, , signature] = userToken.split('.');
      const widened = Buffer.from(JSON.stringify({ ...decodeJwt(userToken), scope: 'orders:read auth:admin' })).toString('base64url');
      expectOAuthError(await exchange(`${header}.${widened}.${signature}`), 'invalid_grant');
    });

    it('refuses a subject token signed with auth’s key for another issuer', async () => {
      const foreign = new AccessTokenIssuer(app.app.get(Keyring), app.app.get(RevocationMirror), {
        ...app.config,
        auth: { ...app.config.auth, issuer: 'http://evil.test' },
      });
      const req = { sub: userId, clientId: 'authmesh', audience: ['orders'], scope: 'orders:read' };
      expectOAuthError(await exchange((await foreign.issue(req)).token), 'invalid_grant');
    });

    it('refuses a subject token signed by a key auth does not hold', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forged = await new SignJWT({ client_id: 'authmesh', scope: 'orders:read' })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: decodeProtectedHeader(userToken).kid! })
        .setIssuer(ISSUER)
        .setSubject(userId)
        .setAudience(['orders'])
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('forged')
        .sign(privateKey);
      expectOAuthError(await exchange(forged), 'invalid_grant');
    });

    it('refuses a token of another type signed by auth (typ JWT, e.g. an ID token)', async () => {
      const { kid, privateKey } = await app.app.get(Keyring).currentSigner();
      const idToken = await new SignJWT({ client_id: 'authmesh', scope: 'orders:read' })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuer(ISSUER)
        .setSubject(userId)
        .setAudience(['orders'])
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('id-token')
        .sign(privateKey);
      expectOAuthError(await exchange(idToken), 'invalid_grant');
    });

    it('refuses a refresh token or garbage given as the subject token', async () => {
      const login = (await (await post(`${app.url}/auth/login`, { email, password })).json()) as { refresh_token: string };
      expectOAuthError(await exchange(login.refresh_token), 'invalid_grant');
      expectOAuthError(await exchange('not.a.token'), 'invalid_grant');
    });

    it('refuses a service (client-credentials) token: exchange is for acting on a user’s behalf', async () => {
      const cc = await post(`${app.url}/oauth/token`, {
        grant_type: 'client_credentials',
        client_id: ORDERS_CLIENT.clientId,
        client_secret: ORDERS_CLIENT.secret,
      });
      const serviceToken = ((await cc.json()) as { access_token: string }).access_token;
      expectOAuthError(await exchange(serviceToken, { audience: 'profiles' }), 'invalid_grant', /user access token/);
    });

    it('refuses a subject token revoked by logout (jti)', async () => {
      const subject = await login();
      expect((await exchange(subject)).status).toBe(200);
      const logout = await post(`${app.url}/auth/logout`, {}, { authorization: `Bearer ${subject}` });
      expect(logout.status).toBe(200);
      expectOAuthError(await exchange(subject), 'invalid_grant', /revoked/);
    });
  });

  /** RFC 7662 introspection of `token` by the gateway client. */
  async function introspect(token: string): Promise<Record<string, unknown>> {
    const res = await fetch(`${app.url}/oauth/introspect`, {
      method: 'POST',
      ...form({ token }),
      headers: { ...form({}).headers, authorization: gatewayAuth },
    });
    return (await res.json()) as Record<string, unknown>;
  }

  it('revokes the exchanged tokens with their user: logout-all (revoked:sub) makes them inactive', async () => {
    const other = uniqueEmail('exchange-all');
    expect((await post(`${app.url}/auth/register`, { email: other, password })).status).toBe(202);
    const subject = ((await (await post(`${app.url}/auth/login`, { email: other, password })).json()) as { access_token: string })
      .access_token;
    const exchanged = (await exchange(subject)).body.access_token as string;
    expect(await introspect(exchanged)).toMatchObject({ active: true, client_id: 'gateway', act: { sub: 'gateway' } });
    // iat has whole seconds and a subject revocation covers iat <= its time.
    expect((await post(`${app.url}/auth/logout-all`, {}, { authorization: `Bearer ${subject}` })).status).toBe(200);
    expect(await introspect(exchanged)).toEqual({ active: false });
    expectOAuthError(await exchange(subject), 'invalid_grant', /revoked/);
  });

  it('lets the exchanging client revoke an exchanged token itself (RFC 7009: it is the token’s client_id)', async () => {
    const exchanged = (await exchange(await login())).body.access_token as string;
    expect(await introspect(exchanged)).toMatchObject({ active: true });
    const res = await fetch(`${app.url}/oauth/revoke`, {
      method: 'POST',
      ...form({ token: exchanged }),
      headers: { ...form({}).headers, authorization: gatewayAuth },
    });
    expect(res.status).toBe(200);
    expect(await introspect(exchanged)).toEqual({ active: false });
  });

  it('advertises the token-exchange grant in the RFC 8414 metadata', async () => {
    const meta = (await (await fetch(`${app.url}/.well-known/oauth-authorization-server`)).json()) as { grant_types_supported: string[] };
    expect(meta.grant_types_supported).toContain(EXCHANGE);
  });
});

describe('auth: token exchange while Redis is down', () => {
  let redis: OwnedRedis;
  let app: TestApp<AuthConfig>;

  beforeAll(async () => {
    redis = await OwnedRedis.start();
    app = await newAuthApp({ REDIS_URL: redis.url, AUTH_SEED_CLIENTS: JSON.stringify([GATEWAY_CLIENT]) });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('answers 503 with Retry-After when it cannot tell whether the subject token is revoked, and exchanges again once Redis is back', async () => {
    const email = uniqueEmail('exchange-outage');
    const password = 'a sufficiently long passphrase';
    expect((await post(`${app.url}/auth/register`, { email, password })).status).toBe(202);
    const subject = ((await (await post(`${app.url}/auth/login`, { email, password })).json()) as { access_token: string }).access_token;
    const exchange = () =>
      fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        ...form({ grant_type: EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, audience: 'orders' }),
        headers: { ...form({}).headers, authorization: basic(GATEWAY_CLIENT.clientId, GATEWAY_CLIENT.secret) },
      });
    await redis.stop();
    const res = await exchange();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const body = (await res.json()) as Record<string, unknown>;
    // RFC 6749 form, as every /oauth/* answer; the outage code of RFC 6749 §4.1.2.1.
    expect(body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(body).not.toHaveProperty('access_token');
    await redis.start();
    await waitFor(async () => (await exchange()).status === 200, 10_000, 100);
  });
});
