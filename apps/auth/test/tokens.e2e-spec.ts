import jwt from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import type { TestApp } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { ISSUER, MULTI_CLIENT, ORDERS_CLIENT, basic, form, newAuthApp, post, uniqueEmail } from './auth-fixture.js';

describe('auth: access tokens, JWKS and discovery', () => {
  let app: TestApp<AuthConfig>;
  let userToken: string;
  let refreshToken: string;
  const email = uniqueEmail('tokens');
  const password = 'a sufficiently long passphrase';

  beforeAll(async () => {
    app = await newAuthApp();
    expect((await post(`${app.url}/auth/register`, { email, password })).status).toBe(202);
    const login = await post(`${app.url}/auth/login`, { email, password });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    const body = (await login.json()) as Record<string, unknown>;
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: expect.any(String),
      scope: 'orders:read orders:write profiles:read profiles:write',
    });
    userToken = body.access_token as string;
    refreshToken = body.refresh_token as string;
  });
  afterAll(() => app.close());

  it('issues a token that an independent library (jsonwebtoken + jwks-rsa) verifies against the served JWKS', async () => {
    const client = jwksRsa({ jwksUri: `${app.url}/.well-known/jwks.json`, cache: false });
    const { kid } = decodeProtectedHeader(userToken);
    const key = await client.getSigningKey(kid);
    const payload = jwt.verify(userToken, key.getPublicKey(), { algorithms: ['RS256'], issuer: ISSUER, audience: 'orders' });
    expect(payload).toMatchObject({ iss: ISSUER });
  });

  it('has exactly the RFC 9068 header and claims, nothing personal, under 1 KiB', () => {
    expect(decodeProtectedHeader(userToken)).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const claims = decodeJwt(userToken);
    expect(Object.keys(claims).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'nbf', 'scope', 'sub'].sort());
    expect(claims).toMatchObject({
      iss: ISSUER,
      aud: ['auth', 'gateway', 'orders', 'profiles'],
      client_id: 'authmesh',
      scope: 'orders:read orders:write profiles:read profiles:write',
    });
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(claims.nbf).toBe(claims.iat);
    expect(userToken).not.toContain(Buffer.from(email).toString('base64url').slice(0, 10));
    expect(JSON.stringify(claims)).not.toContain(email);
    expect(Buffer.byteLength(userToken)).toBeLessThan(1024);
  });

  it('gives every token a unique jti', async () => {
    const again = (await (await post(`${app.url}/auth/login`, { email, password })).json()) as { access_token: string };
    expect(decodeJwt(again.access_token).jti).not.toBe(decodeJwt(userToken).jti);
  });

  it('serves a JWKS with public members only, kid, alg RS256, use sig, Cache-Control and an ETag', async () => {
    const res = await fetch(`${app.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
      expect(key).toEqual({ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: expect.any(String), alg: 'RS256', use: 'sig' });
      expect(Buffer.from(key.n as string, 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
    }
  });

  it('answers 304 when the JWKS has not changed', async () => {
    const etag = (await fetch(`${app.url}/.well-known/jwks.json`)).headers.get('etag')!;
    const res = await fetch(`${app.url}/.well-known/jwks.json`, { headers: { 'if-none-match': etag } });
    expect(res.status).toBe(304);
    expect(res.headers.get('etag')).toBe(etag);
  });

  it('publishes RFC 8414 metadata naming the issuer, JWKS and endpoints', async () => {
    const meta = (await (await fetch(`${app.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      token_endpoint: `${ISSUER}/oauth/token`,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      introspection_endpoint: `${ISSUER}/oauth/introspect`,
      grant_types_supported: expect.arrayContaining(['client_credentials', 'refresh_token']),
      // `none`: a public client at the code and refresh grants (and revocation), never elsewhere.
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256'],
    });
  });

  it('issues a client-credentials token (HTTP Basic) for the client audience with a subset of its scopes', async () => {
    const res = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      ...form({ grant_type: 'client_credentials', audience: 'beta', scope: 'b:write' }),
      headers: { ...form({}).headers, authorization: basic(MULTI_CLIENT.clientId, MULTI_CLIENT.secret) },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 300, scope: 'b:write' });
    expect(decodeJwt(body.access_token as string)).toMatchObject({ sub: 'multi', client_id: 'multi', aud: 'beta', scope: 'b:write' });
  });

  it('issues a client-credentials token with credentials in a JSON body, defaulting to the only audience', async () => {
    const res = await post(`${app.url}/oauth/token`, {
      grant_type: 'client_credentials',
      client_id: ORDERS_CLIENT.clientId,
      client_secret: ORDERS_CLIENT.secret,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; scope: string };
    expect(decodeJwt(body.access_token)).toMatchObject({ aud: 'profiles', scope: 'profiles:read', sub: 'orders' });
  });

  it('rotates a refresh token into a new pair', async () => {
    const res = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      ...form({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; refresh_token: string };
    expect(body.refresh_token).not.toBe(refreshToken);
    expect(decodeJwt(body.access_token).sub).toBe(decodeJwt(userToken).sub);
  });

  it('introspects a valid access token with its claims, and anything else as inactive', async () => {
    const auth = { authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) };
    const active = await fetch(`${app.url}/oauth/introspect`, {
      method: 'POST',
      ...form({ token: userToken }),
      headers: { ...form({}).headers, ...auth },
    });
    expect(active.status).toBe(200);
    expect(await active.json()).toMatchObject({
      active: true,
      sub: decodeJwt(userToken).sub,
      client_id: 'authmesh',
      iss: ISSUER,
      scope: expect.any(String),
      exp: expect.any(Number),
    });
    for (const token of ['garbage', `${userToken.slice(0, -4)}AAAA`, refreshToken]) {
      const res = await fetch(`${app.url}/oauth/introspect`, {
        method: 'POST',
        ...form({ token }),
        headers: { ...form({}).headers, ...auth },
      });
      expect(await res.json()).toEqual({ active: false });
    }
  });

  it('requires client authentication for introspection', async () => {
    const res = await fetch(`${app.url}/oauth/introspect`, { method: 'POST', ...form({ token: userToken }) });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });
});
