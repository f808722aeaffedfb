import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import * as oauth from 'oauth4webapi';
import { GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN } from '@authmesh/contracts';
import { type TestApp, freePort, newTestApp } from '@authmesh/testing';
import { authApp } from '../apps/auth/src/auth.app.js';
import type { AuthConfig } from '../apps/auth/src/config/auth.config.js';
import { CodeFlowBrowser, formOf } from '../tools/demo/browser-login.js';

/**
 * Interop (issue 18): two independent OpenID Connect client libraries run the whole code flow
 * against auth — discovery, the authorization request, auth's hosted login page (posted as a
 * browser posts it), the code exchange with PKCE, ID token validation, userinfo and RP-initiated
 * logout. openid-client v6 (an OpenID-certified relying party) as a confidential client,
 * oauth4webapi as a public one. Nothing here is authmesh code but the server.
 */
const PASSWORD = 'a sufficiently long passphrase';
// Never contacted: the browser's navigation to it is where the test reads the authorization response.
const RP_CALLBACK = 'http://127.0.0.1:9/rp/callback';
const RP_SIGNED_OUT = 'http://127.0.0.1:9/rp/signed-out';
const SPA_CALLBACK = 'http://127.0.0.1:9/spa/callback';

const RP = {
  clientId: 'interop-rp',
  secret: 'interop-rp-secret-0123456789AbCdEfGhIjKl',
  scopes: ['openid', 'orders:read'],
  audiences: ['orders'],
  grantTypes: [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN],
  redirectUris: [RP_CALLBACK],
  postLogoutRedirectUris: [RP_SIGNED_OUT],
  firstParty: true,
};
const SPA = {
  clientId: 'interop-spa',
  public: true,
  scopes: ['openid', 'orders:read'],
  audiences: ['orders'],
  grantTypes: [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN],
  redirectUris: [SPA_CALLBACK],
  firstParty: true,
};

/**
 * The browser's part: from the authorization URL through auth's pages (the login form when there
 * is no SSO session) to the redirect back to the client; returns that redirect's URL.
 */
async function authorizeInBrowser(browser: CodeFlowBrowser, authorizationUrl: URL, email: string): Promise<URL> {
  let url = authorizationUrl.href;
  let res = await browser.request(url);
  for (let hop = 0; hop < 6; hop++) {
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url);
      if (next.origin !== authorizationUrl.origin) return next;
      url = next.href;
      res = await browser.request(url);
      continue;
    }
    const form = formOf(await res.text(), 'login-form');
    if (res.status !== 200 || !form) throw new Error(`authorization stopped at ${url} with ${res.status}`);
    url = new URL(form.action || url, url).href;
    res = await browser.request(url, { form: { ...form.fields, email, password: PASSWORD } });
  }
  throw new Error('too many hops');
}

describe('OpenID Connect interop: openid-client and oauth4webapi run the code flow against auth', () => {
  let auth: TestApp<AuthConfig>;
  let issuer: string;
  const email = `interop-${randomBytes(5).toString('hex')}@example.com`;

  beforeAll(async () => {
    // The issuer must be the URL clients reach (discovery is checked against it), so the port is chosen first.
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    auth = await newTestApp(authApp, {
      PORT: String(port),
      AUTH_KEK: randomBytes(32).toString('base64'),
      AUTH_ISSUER: issuer,
      AUTH_SEED_CLIENTS: JSON.stringify([RP, SPA]),
    });
    const registered = await fetch(`${issuer}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(registered.status).toBe(202);
  });
  afterAll(() => auth?.close());

  it('openid-client (confidential): discovery, login → tokens → ID token → userinfo → refresh → RP-initiated logout', async () => {
    const config = await oidc.discovery(new URL(issuer), RP.clientId, RP.secret, oidc.ClientSecretBasic(RP.secret), {
      execute: [oidc.allowInsecureRequests], // http on loopback, in this test only
    });
    expect(config.serverMetadata()).toMatchObject({
      issuer,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: RP_CALLBACK,
      scope: 'openid orders:read',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const browser = new CodeFlowBrowser(issuer);
    const callback = await authorizeInBrowser(browser, authorizationUrl, email);
    expect(callback.href.startsWith(RP_CALLBACK)).toBe(true);
    expect(callback.searchParams.get('iss')).toBe(issuer);

    // openid-client checks state, iss (RFC 9207), the PKCE exchange, and the ID token (signature via the JWKS, iss, aud, exp, nonce, at_hash).
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer, aud: RP.clientId, nonce });
    expect(typeof claims.auth_time).toBe('number');
    expect(typeof claims.sid).toBe('string');
    expect(tokens.token_type.toLowerCase()).toBe('bearer');

    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, email });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);

    // RP-initiated logout: the end-session URL openid-client builds, followed by the browser.
    const endSession = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: RP_SIGNED_OUT,
      state: 'bye',
    });
    const out = await browser.request(endSession.href);
    expect(out.status).toBe(302);
    const landed = new URL(out.headers.get('location')!);
    expect(`${landed.origin}${landed.pathname}`).toBe(RP_SIGNED_OUT);
    expect(landed.searchParams.get('state')).toBe('bye');

    // The SSO session is over: authorizing again shows the login form; the login's refresh family is revoked.
    const again = await browser.request(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: RP_CALLBACK,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state: oidc.randomState(),
      }).href,
    );
    expect(again.status).toBe(200);
    expect(formOf(await again.text(), 'login-form')).toBeDefined();
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('oauth4webapi (public client, PKCE only): discovery, login → tokens → ID token → userinfo', async () => {
    const as = await oauth.processDiscoveryResponse(
      new URL(issuer),
      await oauth.discoveryRequest(new URL(issuer), { [oauth.allowInsecureRequests]: true }),
    );
    const client: oauth.Client = { client_id: SPA.clientId, token_endpoint_auth_method: 'none' };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const authorizationUrl = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: SPA.clientId,
      redirect_uri: SPA_CALLBACK,
      scope: 'openid orders:read',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    }))
      authorizationUrl.searchParams.set(k, v);
    const callback = await authorizeInBrowser(new CodeFlowBrowser(issuer), authorizationUrl, email);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const insecure = { [oauth.allowInsecureRequests]: true };
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, SPA_CALLBACK, verifier, insecure);
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(result)!;
    expect(claims).toMatchObject({ iss: issuer, aud: SPA.clientId, nonce });
    const info = await oauth.processUserInfoResponse(
      as,
      client,
      claims.sub,
      await oauth.userInfoRequest(as, client, result.access_token, insecure),
    );
    expect(info).toMatchObject({ sub: claims.sub, email });
  });
});
