import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN } from '@authmesh/contracts';
import { ClientCredentialsTokenSource, DpopKey } from '@authmesh/service-auth';
import { type TestApp, freePort } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { ISSUER, ORDERS_CLIENT, newAuthApp, post, uniqueEmail } from './auth-fixture.js';
import { CookieJar, formFields } from './authorize-fixture.js';

/** A public app (a SPA or mobile app) on the code flow: its DPoP key is all that makes its tokens its own. */
const SPA = {
  clientId: 'dpop-spa',
  public: true,
  scopes: ['openid', 'orders:read'],
  audiences: ['orders'],
  grantTypes: [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN],
  redirectUris: ['http://127.0.0.1:5555/callback'],
  firstParty: true,
};
const PASSWORD = 'a sufficiently long passphrase';

/**
 * Two DPoP clients that are not auth's own code, against the real auth (Postgres, Redis) with the
 * server nonce required: oauth4webapi through the whole code flow (hosted login, `dpop_jkt`,
 * redemption, refresh), and libs/service-auth's token source (client credentials, nonce retry).
 * Using the tokens at orders and through the gateway is e2e/dpop-oauth4webapi.e2e-spec.ts.
 */
describe('auth: DPoP clients (oauth4webapi code flow, service-auth) with AUTH_DPOP_REQUIRE_NONCE', () => {
  let app: TestApp<AuthConfig>;
  let tokenEndpoint: string;
  const email = uniqueEmail('dpop-code');

  beforeAll(async () => {
    const port = await freePort();
    tokenEndpoint = `http://127.0.0.1:${port}/oauth/token`;
    app = await newAuthApp({
      PORT: String(port),
      AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, SPA]),
      AUTH_DPOP_REQUIRE_NONCE: 'true',
      // The clients reach auth on loopback, as an in-cluster client reaches it on its service name.
      AUTH_DPOP_TOKEN_URLS: tokenEndpoint,
    });
    expect((await post(`${app.url}/auth/register`, { email, password: PASSWORD })).status).toBe(202);
  });
  afterAll(() => app?.close());

  /** oauth4webapi's documented pattern: one retry when the server asks for its nonce (the handle caches it). */
  async function withNonceRetry<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (oauth.isDPoPNonceError(e)) return call();
      throw e;
    }
  }

  /** Auth as oauth4webapi sees it, reached on loopback (the origin of AUTH_DPOP_TOKEN_URLS, which auth's verifier takes as htu too). */
  const server = (): oauth.AuthorizationServer => ({
    issuer: ISSUER,
    token_endpoint: tokenEndpoint,
    userinfo_endpoint: tokenEndpoint.replace('/oauth/token', '/oauth/userinfo'),
    authorization_response_iss_parameter_supported: true,
  });
  const spaClient: oauth.Client = { client_id: SPA.clientId };
  /** A fresh ES256 key as oauth4webapi's DPoP handle, with its RFC 7638 thumbprint (for `dpop_jkt`). */
  async function dpopHandle(): Promise<{ DPoP: oauth.DPoPHandle; jkt: string }> {
    const keyPair = await oauth.generateKeyPair('ES256');
    return {
      DPoP: oauth.DPoP(spaClient, keyPair),
      jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256'),
    };
  }

  /**
   * The hosted login of an authorization request bound to `jkt` (RFC 9449 §10 `dpop_jkt`): the
   * redirect back to the app, carrying the code.
   */
  async function signInBoundTo(jkt: string, verifier: string, state: string, scope = 'orders:read'): Promise<URL> {
    const authorize = new URL(`${app.url}/oauth/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: SPA.clientId,
      redirect_uri: SPA.redirectUris[0]!,
      scope,
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      dpop_jkt: jkt,
    }))
      authorize.searchParams.set(k, v);
    const jar = new CookieJar();
    const page = await jar.fetch(authorize.toString());
    expect(page.status).toBe(200);
    const signedIn = await jar.postForm(`${app.url}/login`, { ...formFields(await page.text(), 'login-form'), email, password: PASSWORD });
    expect(signedIn.status).toBe(303);
    return new URL(signedIn.headers.get('location')!);
  }

  it('oauth4webapi: signs in with dpop_jkt, redeems the code with DPoP and refreshes with the same key; another key cannot refresh', async () => {
    const as = server();
    const client = spaClient;
    const { DPoP, jkt } = await dpopHandle();
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const redirectUri = SPA.redirectUris[0]!;

    // The authorization request binds the code to the key before any token exists (RFC 9449 §10).
    const callback = oauth.validateAuthResponse(as, client, await signInBoundTo(jkt, verifier, state), state);

    const insecure = { [oauth.allowInsecureRequests]: true };
    const tokens = await withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, redirectUri, verifier, { DPoP, ...insecure }),
      ),
    );
    expect(tokens.token_type).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });

    // A thief with the refresh token and its own key: refused (and the token not spent).
    const thief = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const stolen = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, { DPoP: thief, ...insecure }),
      ),
    ).catch((e: unknown) => e);
    expect(stolen).toBeInstanceOf(oauth.ResponseBodyError);
    expect((stolen as oauth.ResponseBodyError).error).toBe('invalid_grant');

    const refreshed = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, { DPoP, ...insecure }),
      ),
    );
    expect(refreshed.token_type).toBe('dpop');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });
  });

  it("oauth4webapi: calls auth's own userinfo with its DPoP-bound token and a proof; the same token as Bearer is refused", async () => {
    const as = server();
    const client = spaClient;
    const { DPoP, jkt } = await dpopHandle();
    const verifier = oauth.generateRandomCodeVerifier();
    const callback = oauth.validateAuthResponse(as, client, await signInBoundTo(jkt, verifier, 'u', 'openid orders:read'), 'u');
    const insecure = { [oauth.allowInsecureRequests]: true };
    const tokens = await withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, SPA.redirectUris[0]!, verifier, {
          DPoP,
          ...insecure,
        }),
      ),
    );
    expect(tokens.token_type).toBe('dpop');

    const info = await oauth.processUserInfoResponse(
      as,
      client,
      oauth.skipSubjectCheck,
      await oauth.userInfoRequest(as, client, tokens.access_token, { DPoP, ...insecure }),
    );
    expect(info.sub).toBe(decodeJwt(tokens.access_token).sub);

    const asBearer = await fetch(as.userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect({ status: asBearer.status, code: ((await asBearer.json()) as { code: string }).code }).toEqual({
      status: 401,
      code: 'dpop_token_as_bearer',
    });
  });

  it('oauth4webapi: a code bound by dpop_jkt is refused to a proof of another key', async () => {
    const jkt = await calculateJwkThumbprint(await exportJWK((await oauth.generateKeyPair('ES256')).publicKey), 'sha256');
    const verifier = oauth.generateRandomCodeVerifier();
    const code = (await signInBoundTo(jkt, verifier, 's')).searchParams.get('code')!;
    const key = await DpopKey.generate();
    const send = (dpop: string) =>
      fetch(tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', dpop },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          code_verifier: verifier,
          redirect_uri: SPA.redirectUris[0]!,
          client_id: SPA.clientId,
        }).toString(),
      });
    const first = await send(await key.proof('POST', tokenEndpoint));
    key.rememberNonce(tokenEndpoint, first.headers.get('dpop-nonce') ?? undefined);
    const res = await send(await key.proof('POST', tokenEndpoint));
    expect({ status: res.status, error: ((await res.json()) as { error: string }).error }).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('service-auth: the token source gets a DPoP-bound token, retrying once with the nonce auth asks for', async () => {
    const key = await DpopKey.generate();
    const source = new ClientCredentialsTokenSource({
      tokenUrl: tokenEndpoint,
      clientId: ORDERS_CLIENT.clientId,
      clientSecret: ORDERS_CLIENT.secret,
      audience: 'profiles',
      dpop: key,
      retry: { attempts: 1 },
    });
    const token = await source.getToken();
    expect(decodeJwt(token).cnf).toEqual({ jkt: key.jkt });
    // The first request had no nonce: refused with use_dpop_nonce, retried once with it.
    expect(source.fetchCount).toBe(1);
    const again = await source.refresh(token);
    expect(decodeJwt(again).cnf).toEqual({ jkt: key.jkt });
  });
});
