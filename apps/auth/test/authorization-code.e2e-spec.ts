import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { GRANT_CLIENT_CREDENTIALS } from '@authmesh/contracts';
import { JwksCache, TokenVerificationError, TokenVerifier } from '@authmesh/token-verifier';
import { type TestApp, waitFor } from '@authmesh/testing';
import { AuthorizationCodes, type CodeGrant } from '../src/authorize/authorization-codes.service.js';
import type { AuthConfig } from '../src/config/auth.config.js';
import { atHash } from '../src/tokens/id-token.issuer.js';
import { ISSUER, ORDERS_CLIENT, basic, form, newAuthApp, post, uniqueEmail } from './auth-fixture.js';
import { CODE_FLOW_SPA as SPA, CODE_FLOW_WEB as WEB } from './authorize-fixture.js';

/** An ops client for the admin API. */
const ADMIN = {
  clientId: 'ops-admin',
  secret: 'ops-admin-secret-0123456789AbCdEfGhIjKl',
  scopes: ['auth:admin'],
  audiences: ['auth'],
  grantTypes: [GRANT_CLIENT_CREDENTIALS],
};

const pkce = (): { verifier: string; challenge: string } => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

interface TokenBody {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  token_type?: string;
  expires_in?: number;
  error?: string;
}

describe('auth: the token endpoint of the authorization code flow, ID tokens, userinfo, discovery, client registration', () => {
  let app: TestApp<AuthConfig>;
  let codes: AuthorizationCodes;
  let userId: string;
  let loginToken: string;
  const email = uniqueEmail('code-flow');

  beforeAll(async () => {
    app = await newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, WEB, SPA, ADMIN]) });
    codes = app.app.get(AuthorizationCodes, { strict: false });
    expect((await post(`${app.url}/auth/register`, { email, password: 'a sufficiently long passphrase' })).status).toBe(202);
    const login = (await (await post(`${app.url}/auth/login`, { email, password: 'a sufficiently long passphrase' })).json()) as TokenBody;
    loginToken = login.access_token!;
    userId = decodeJwt(loginToken).sub!;
  });
  afterAll(() => app?.close());

  /** A code as the authorization endpoint would issue it after a login (`issue` is its store). */
  async function codeFor(over: Partial<CodeGrant> & { clientId: string; redirectUri: string }, at?: Date) {
    const { verifier, challenge } = pkce();
    const grant: CodeGrant = {
      codeChallenge: challenge,
      userId,
      scope: 'openid orders:read',
      audiences: ['orders'],
      nonce: `n-${randomBytes(6).toString('hex')}`,
      authTime: new Date(Date.now() - 5_000),
      ssoSessionId: null,
      ...over,
    };
    return { code: await codes.issue(grant, at), verifier, grant };
  }
  const webCode = (over: Partial<CodeGrant> = {}, at?: Date) =>
    codeFor({ clientId: WEB.clientId, redirectUri: WEB.redirectUris[0]!, ...over }, at);
  const spaCode = (over: Partial<CodeGrant> = {}) => codeFor({ clientId: SPA.clientId, redirectUri: SPA.redirectUris[0]!, ...over });

  async function token(
    params: Record<string, string>,
    authorization?: string,
  ): Promise<{ status: number; body: TokenBody; headers: Headers }> {
    const f = form(params);
    const res = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, ...(authorization ? { authorization } : {}) },
    });
    return { status: res.status, body: (await res.json()) as TokenBody, headers: res.headers };
  }
  const webAuth = basic(WEB.clientId, WEB.secret);
  const redeemWeb = (code: string, verifier: string, redirectUri = WEB.redirectUris[0]!) =>
    token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, webAuth);
  async function introspectAsWeb(t: string): Promise<boolean> {
    const f = form({ token: t });
    const res = await fetch(`${app.url}/oauth/introspect`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, authorization: webAuth },
    });
    return ((await res.json()) as { active: boolean }).active;
  }
  const userinfo = (t: string | undefined, method: 'GET' | 'POST' = 'GET') =>
    fetch(`${app.url}/oauth/userinfo`, { method, headers: t === undefined ? {} : { authorization: `Bearer ${t}` } });

  describe('a confidential client', () => {
    it('redeems a code for an access token, a refresh token and an ID token that jose verifies against the JWKS', async () => {
      const { code, verifier, grant } = await webCode();
      const res = await redeemWeb(code, verifier);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 300,
        refresh_token: expect.any(String),
        scope: 'openid orders:read',
        id_token: expect.any(String),
      });
      // The access token: the client's, for its audience and for userinfo (never for the rest of auth).
      expect(decodeJwt(res.body.access_token!)).toMatchObject({ sub: userId, client_id: WEB.clientId, aud: ['orders', 'userinfo'] });
      const jwks = createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`));
      const { payload, protectedHeader } = await jwtVerify(res.body.id_token!, jwks, {
        issuer: ISSUER,
        audience: WEB.clientId,
        algorithms: ['RS256'],
      });
      expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });
      expect(payload).toEqual({
        iss: ISSUER,
        sub: userId,
        aud: WEB.clientId,
        exp: expect.any(Number),
        iat: expect.any(Number),
        auth_time: Math.floor(grant.authTime.getTime() / 1000),
        nonce: grant.nonce,
        at_hash: atHash(res.body.access_token!),
      });
      expect(payload.at_hash).toBe(createHash('sha256').update(res.body.access_token!).digest().subarray(0, 16).toString('base64url'));
    });

    it('issues no ID token, and no token for userinfo, without openid', async () => {
      const { code, verifier } = await webCode({ scope: 'orders:read' });
      const res = await redeemWeb(code, verifier);
      expect(res.status).toBe(200);
      expect(res.body.id_token).toBeUndefined();
      expect(decodeJwt(res.body.access_token!).aud).toEqual(['orders']);
    });

    it('refuses the client without its secret (client_id alone): invalid_client', async () => {
      const { code, verifier } = await webCode();
      const res = await token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: WEB.redirectUris[0]!,
        code_verifier: verifier,
        client_id: WEB.clientId,
      });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
      // …and the code is still good for the client itself.
      expect((await redeemWeb(code, verifier)).status).toBe(200);
    });
  });

  describe('refusals: invalid_grant', () => {
    it('a code used twice: refused, and what the first redemption issued is revoked', async () => {
      const { code, verifier } = await webCode();
      const first = await redeemWeb(code, verifier);
      expect(first.status).toBe(200);
      expect(await introspectAsWeb(first.body.access_token!)).toBe(true);
      const second = await redeemWeb(code, verifier);
      expect(second.status).toBe(400);
      expect(second.body.error).toBe('invalid_grant');
      // The first access token is refused (introspection and auth's own verifier) and its refresh token is dead.
      await waitFor(async () => !(await introspectAsWeb(first.body.access_token!)));
      await waitFor(async () => (await userinfo(first.body.access_token!)).status === 401);
      const info = await userinfo(first.body.access_token!);
      expect(((await info.json()) as { code: string }).code).toBe('token_revoked');
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token! }, webAuth);
      expect(refreshed.body.error).toBe('invalid_grant');
    });

    it("another client's code (and the code is left for its client)", async () => {
      const { code, verifier } = await spaCode();
      const res = await token(
        { grant_type: 'authorization_code', code, redirect_uri: SPA.redirectUris[0]!, code_verifier: verifier },
        webAuth,
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      const own = await token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: SPA.redirectUris[0]!,
        code_verifier: verifier,
        client_id: SPA.clientId,
      });
      expect(own.status).toBe(200);
    });

    it.each([
      ['a trailing slash', 'https://app.example.com/callback/'],
      ['a query', 'https://app.example.com/callback?x=1'],
      ['another registered-looking URI', 'https://app.example.com/other'],
      ['another case', 'https://APP.example.com/callback'],
    ])('a redirect_uri differing by %s', async (_what, redirectUri) => {
      const { code, verifier } = await webCode();
      const res = await redeemWeb(code, verifier, redirectUri);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    });

    it('a missing redirect_uri or code_verifier: invalid_request', async () => {
      const { code, verifier } = await webCode();
      expect((await token({ grant_type: 'authorization_code', code, code_verifier: verifier }, webAuth)).body.error).toBe(
        'invalid_request',
      );
      expect((await token({ grant_type: 'authorization_code', code, redirect_uri: WEB.redirectUris[0]! }, webAuth)).body.error).toBe(
        'invalid_request',
      );
    });

    it('a wrong code_verifier (another valid one, the challenge itself as `plain` would send, a malformed one)', async () => {
      const { code, grant } = await webCode();
      for (const verifier of [pkce().verifier, grant.codeChallenge, 'short']) {
        const res = await redeemWeb(code, verifier);
        expect(res.status).toBe(400);
        expect(res.body.error).toBe('invalid_grant');
      }
    });

    it('an expired code (issued 61 s ago; AUTH_CODE_TTL_S is 60)', async () => {
      const { code, verifier } = await webCode({}, new Date(Date.now() - 61_000));
      const res = await redeemWeb(code, verifier);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    });

    it('an unknown code', async () => {
      const res = await redeemWeb(randomBytes(32).toString('base64url'), pkce().verifier);
      expect(res.body.error).toBe('invalid_grant');
    });
  });

  describe('a public client (auth method none)', () => {
    it('redeems with client_id alone and refreshes with client_id alone; its family is bound to it', async () => {
      const { code, verifier } = await spaCode();
      const res = await token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: SPA.redirectUris[0]!,
        code_verifier: verifier,
        client_id: SPA.clientId,
      });
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toEqual(expect.any(String));
      expect(decodeJwt(res.body.id_token!).aud).toBe(SPA.clientId);
      // Without client_id the caller is the first-party user client: not this family's client.
      const anonymous = await token({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token! });
      expect(anonymous.body.error).toBe('invalid_grant');
      const asOther = await token({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token! }, webAuth);
      expect(asOther.body.error).toBe('invalid_grant');
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token!, client_id: SPA.clientId });
      expect(refreshed.status).toBe(200);
      expect(decodeJwt(refreshed.body.access_token!)).toMatchObject({ client_id: SPA.clientId, sub: userId });
    });

    it('revokes its own refresh token with client_id alone (RFC 7009 §2.1)', async () => {
      const { code, verifier } = await spaCode();
      const res = await token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: SPA.redirectUris[0]!,
        code_verifier: verifier,
        client_id: SPA.clientId,
      });
      const f = form({ token: res.body.refresh_token!, client_id: SPA.clientId });
      expect((await fetch(`${app.url}/oauth/revoke`, { method: 'POST', body: f.body, headers: f.headers })).status).toBe(200);
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token!, client_id: SPA.clientId });
      expect(refreshed.body.error).toBe('invalid_grant');
    });

    it('may not use client_credentials, token exchange or introspection by naming itself: invalid_client', async () => {
      expect((await token({ grant_type: 'client_credentials', client_id: SPA.clientId })).body.error).toBe('invalid_client');
      const exchange = await token({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_id: SPA.clientId,
        subject_token: loginToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      });
      expect(exchange.body.error).toBe('invalid_client');
      const f = form({ token: loginToken, client_id: SPA.clientId });
      const res = await fetch(`${app.url}/oauth/introspect`, { method: 'POST', body: f.body, headers: f.headers });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
      // A secret presented for it is refused too (it has none).
      expect((await token({ grant_type: 'client_credentials' }, basic(SPA.clientId, 'anything-0123456789AbCdEfGhIjKlMnOp'))).status).toBe(
        401,
      );
    });
  });

  describe('ID tokens are never access tokens', () => {
    let idToken: string;
    beforeAll(async () => {
      const { code, verifier } = await webCode();
      idToken = (await redeemWeb(code, verifier)).body.id_token!;
    });

    it("auth's own routes refuse one (401 token_wrong_type)", async () => {
      const res = await userinfo(idToken);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expect(((await res.json()) as { code: string }).code).toBe('token_wrong_type');
    });

    it('the verifier orders and the gateway run refuses one, whatever audience it is configured with (token_wrong_type)', async () => {
      for (const audience of ['orders', 'gateway', WEB.clientId]) {
        const verifier = new TokenVerifier({
          issuer: ISSUER,
          audience,
          keys: new JwksCache({ jwksUri: `${app.url}/.well-known/jwks.json` }),
        });
        const refused = await verifier.verify(idToken).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(refused).toBeInstanceOf(TokenVerificationError);
        expect((refused as TokenVerificationError).code).toBe('token_wrong_type');
      }
    });

    it('introspection does not describe one as an active token', async () => {
      expect(await introspectAsWeb(idToken)).toBe(false);
    });
  });

  describe('userinfo (OpenID Connect Core §5.3)', () => {
    it('answers sub, email and email_verified for a token with openid, by GET and POST', async () => {
      const { code, verifier } = await webCode();
      const access = (await redeemWeb(code, verifier)).body.access_token!;
      for (const method of ['GET', 'POST'] as const) {
        const res = await userinfo(access, method);
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(await res.json()).toEqual({ sub: userId, email, email_verified: false });
      }
    });

    it('refuses no token (401 Bearer), a token without openid (403 insufficient_scope), a token for another audience (401)', async () => {
      const none = await userinfo(undefined);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256 EdDSA RS256 PS256"');
      // A password login's token is for auth's account API, not for userinfo.
      const forAuth = await userinfo(loginToken);
      expect(forAuth.status).toBe(401);
      expect(((await forAuth.json()) as { code: string }).code).toBe('token_wrong_audience');
      const { code: plain, verifier: plainVerifier } = await webCode({ scope: 'orders:read', audiences: ['orders', 'userinfo'] });
      const noOpenid = await userinfo((await redeemWeb(plain, plainVerifier)).body.access_token!);
      expect(noOpenid.status).toBe(403);
      expect(noOpenid.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="openid"');
      const { code, verifier } = await webCode({ scope: 'orders:read' });
      const ordersOnly = (await redeemWeb(code, verifier)).body.access_token!;
      const res = await userinfo(ordersOnly);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('token_wrong_audience');
      expect((await userinfo('not-a-token')).headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    });
  });

  it('oauth4webapi (a certified client library) accepts the metadata, the token response, the ID token and userinfo as a public client', async () => {
    // Discovery is fetched from the test's port, checked against the issuer it names; the endpoints are then reached on that port.
    const discovered = await oauth.processDiscoveryResponse(new URL(ISSUER), await fetch(`${app.url}/.well-known/openid-configuration`));
    const as: oauth.AuthorizationServer = {
      ...discovered,
      token_endpoint: `${app.url}/oauth/token`,
      jwks_uri: `${app.url}/.well-known/jwks.json`,
      userinfo_endpoint: `${app.url}/oauth/userinfo`,
    };
    const client: oauth.Client = { client_id: SPA.clientId, token_endpoint_auth_method: 'none' };
    const { code, verifier, grant } = await spaCode();
    // The authorization response as the authorization endpoint sends it (RFC 9207: with iss).
    const params = oauth.validateAuthResponse(
      as,
      client,
      new URL(`${SPA.redirectUris[0]}?${new URLSearchParams({ code, state: 'st-1', iss: ISSUER })}`),
      'st-1',
    );
    const insecure = { [oauth.allowInsecureRequests]: true };
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, SPA.redirectUris[0]!, verifier, insecure);
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: grant.nonce!,
      requireIdToken: true,
    });
    const claims = oauth.getValidatedIdTokenClaims(result)!;
    expect(claims).toMatchObject({ iss: ISSUER, sub: userId, aud: SPA.clientId, nonce: grant.nonce });
    const info = await oauth.processUserInfoResponse(
      as,
      client,
      claims.sub,
      await oauth.userInfoRequest(as, client, result.access_token, insecure),
    );
    expect(info).toEqual({ sub: userId, email, email_verified: false });
  });

  it('discovery lists the code flow truthfully', async () => {
    const doc = (await (await fetch(`${app.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/oauth/authorize`,
      token_endpoint: `${ISSUER}/oauth/token`,
      userinfo_endpoint: `${ISSUER}/oauth/userinfo`,
      end_session_endpoint: `${ISSUER}/oauth/logout`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    });
    expect(doc.grant_types_supported).toContain('authorization_code');
    expect(doc.token_endpoint_auth_methods_supported).toContain('none');
    expect(doc.scopes_supported).toContain('openid');
    expect(doc.claims_supported).toEqual(
      expect.arrayContaining(['sub', 'email', 'email_verified', 'nonce', 'auth_time', 'at_hash', 'sid']),
    );
    expect(await (await fetch(`${app.url}/.well-known/oauth-authorization-server`)).json()).toEqual(doc);
  });

  describe('client registration (admin API)', () => {
    let adminToken: string;
    beforeAll(async () => {
      const res = await token(
        { grant_type: 'client_credentials', audience: 'auth', scope: 'auth:admin' },
        basic(ADMIN.clientId, ADMIN.secret),
      );
      adminToken = res.body.access_token!;
    });
    const create = (body: Record<string, unknown>) => post(`${app.url}/admin/clients`, body, { authorization: `Bearer ${adminToken}` });
    const uniqueId = (label: string): string => `${label}-${randomBytes(4).toString('hex')}`;

    it('registers a public third-party client (no secret) that can then redeem a code with client_id alone', async () => {
      const clientId = uniqueId('mobile');
      const res = await create({
        clientId,
        scopes: ['openid'],
        audiences: ['orders'],
        grantTypes: ['authorization_code', 'refresh_token'],
        tokenEndpointAuthMethod: 'none',
        redirectUris: ['http://127.0.0.1:7777/cb'],
        postLogoutRedirectUris: ['http://127.0.0.1:7777/'],
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        clientId,
        tokenEndpointAuthMethod: 'none',
        redirectUris: ['http://127.0.0.1:7777/cb'],
        postLogoutRedirectUris: ['http://127.0.0.1:7777/'],
        firstParty: false,
      });
      expect(body).not.toHaveProperty('clientSecret');
      const { code, verifier } = await codeFor({ clientId, redirectUri: 'http://127.0.0.1:7777/cb', scope: 'openid' });
      const redeemed = await token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'http://127.0.0.1:7777/cb',
        code_verifier: verifier,
        client_id: clientId,
      });
      expect(redeemed.status).toBe(200);
    });

    it('registers a first-party confidential client (with its secret, once)', async () => {
      const res = await create({
        clientId: uniqueId('web'),
        scopes: ['openid'],
        audiences: ['orders'],
        grantTypes: ['authorization_code'],
        redirectUris: ['https://web.example.com/cb'],
        firstParty: true,
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({
        tokenEndpointAuthMethod: 'client_secret_basic',
        firstParty: true,
        clientSecret: expect.any(String),
      });
    });

    it.each([
      ['http on a public host', { redirectUris: ['http://evil.example/cb'] }, 'redirectUris', /not loopback/],
      ['a wildcard', { redirectUris: ['https://*.example.com/cb'] }, 'redirectUris', /wildcards/],
      ['a fragment', { redirectUris: ['https://app.example.com/cb#x'] }, 'redirectUris', /fragment/],
      ['a relative URI', { redirectUris: ['/cb'] }, 'redirectUris', /absolute/],
      ['21 URIs', { redirectUris: Array.from({ length: 21 }, (_, i) => `https://a.example.com/${i}`) }, 'redirectUris', /at most 20/],
      ['the code grant without a redirect URI', { redirectUris: [] }, 'redirectUris', /at least one redirect URI/],
      ['a bad post-logout URI', { postLogoutRedirectUris: ['javascript:alert(1)'] }, 'postLogoutRedirectUris', /must be https/],
      [
        'a public client with client_credentials',
        { tokenEndpointAuthMethod: 'none', grantTypes: ['authorization_code', 'client_credentials'] },
        'grantTypes',
        /may not use client_credentials/,
      ],
    ])('refuses %s (400, naming the field)', async (_what, over, field, problem) => {
      const res = await create({
        clientId: uniqueId('bad'),
        scopes: ['openid'],
        audiences: ['orders'],
        grantTypes: ['authorization_code'],
        redirectUris: ['https://app.example.com/cb'],
        ...over,
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; details: { fields: { field: string; problems: string[] }[] } };
      expect(body.code).toBe('validation_failed');
      const problems = body.details.fields.filter((d) => d.field === field).flatMap((d) => d.problems);
      expect(problems.join(' ')).toMatch(problem);
    });
  });

  it('refuses to start with a seed client whose redirect URI breaks the rules, naming the URI', async () => {
    const bad = { ...WEB, clientId: 'bad-seed', redirectUris: ['http://evil.example/cb'] };
    await expect(newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([bad]) })).rejects.toThrow(/bad-seed.*http:\/\/evil\.example\/cb/s);
  });
});
