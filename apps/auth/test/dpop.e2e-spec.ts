import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import { DpopKey } from '@authmesh/service-auth';
import { DpopNonceSource } from '@authmesh/token-verifier';
import type { TestApp } from '@authmesh/testing';
import { APP_CONFIG } from '@authmesh/platform';
import type { JtiReplayStore } from '../src/oauth/jti-replay.store.js';
import { TokenRequestDpop } from '../src/oauth/token-request-dpop.js';
import { AuthorizationCodes, type CodeGrant } from '../src/authorize/authorization-codes.service.js';
import type { AuthConfig } from '../src/config/auth.config.js';
import { GATEWAY_CLIENT, ISSUER, ORDERS_CLIENT, basic, form, newAuthApp, post, uniqueEmail } from './auth-fixture.js';
// A public app (its refresh tokens get bound to its DPoP key) and a confidential one (not bound: §5 allows it).
import { CODE_FLOW_SPA as SPA, CODE_FLOW_WEB as WEB } from './authorize-fixture.js';

/** What a client outside the cluster names as htu: the public issuer's token endpoint (the test reaches auth on 127.0.0.1). */
const HTU = `${ISSUER}/oauth/token`;
/** Where in-cluster clients reach auth (AUTH_DPOP_TOKEN_URLS). */
const INTERNAL_HTU = 'http://auth.internal:3000/oauth/token';

/** A service that must use DPoP (RFC 9449 §5.2 dpop_bound_access_tokens). */
const BOUND = {
  clientId: 'bound-svc',
  secret: 'bound-svc-secret-0123456789AbCdEfGhIjKl',
  scopes: ['profiles:read'],
  audiences: ['profiles'],
  dpopBoundAccessTokens: true,
};
/** A second token-exchange client that is not a DPoP edge (not in AUTH_DPOP_EDGE_CLIENTS). */
const PARTNER = {
  clientId: 'partner',
  secret: 'partner-secret-0123456789AbCdEfGhIjKl',
  scopes: [] as string[],
  audiences: ['orders'],
  grantTypes: [GRANT_TOKEN_EXCHANGE],
};

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('auth: DPoP (RFC 9449) at POST /oauth/token', () => {
  let app: TestApp<AuthConfig>;
  let key: DpopKey;
  let codes: AuthorizationCodes;
  let userId: string;
  let userToken: string;
  const email = uniqueEmail('dpop');
  const password = 'a sufficiently long passphrase';

  beforeAll(async () => {
    app = await newAuthApp({
      AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, BOUND, SPA, WEB, GATEWAY_CLIENT, PARTNER]),
      AUTH_DPOP_TOKEN_URLS: INTERNAL_HTU,
    });
    key = await DpopKey.generate();
    codes = app.app.get(AuthorizationCodes, { strict: false });
    expect((await post(`${app.url}/auth/register`, { email, password })).status).toBe(202);
    userToken = ((await (await post(`${app.url}/auth/login`, { email, password })).json()) as { access_token: string }).access_token;
    userId = decodeJwt(userToken).sub!;
  });
  afterAll(() => app?.close());

  async function token(fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
    const f = form(fields);
    const res = await fetch(`${app.url}/oauth/token`, { method: 'POST', body: f.body, headers: { ...f.headers, ...headers } });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }
  const ordersAuth = basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret);
  const clientCredentials = (headers: Record<string, string>, auth = ordersAuth) =>
    token({ grant_type: GRANT_CLIENT_CREDENTIALS }, { authorization: auth, ...headers });

  /** A refusal of the proof: 400, the RFC 9449 error, our code, no token. */
  function expectRefused(answer: Answer, code: string, error = 'invalid_dpop_proof'): void {
    expect({ status: answer.status, error: answer.body.error, code: answer.body.code }).toEqual({ status: 400, error, code });
    expect(answer.body).not.toHaveProperty('access_token');
    expect(answer.headers.get('cache-control')).toBe('no-store');
  }

  /** A hand-made proof, for what DpopKey never makes (wrong alg, private jwk, odd claims). */
  async function rawProof(claims: Record<string, unknown>, header: Record<string, unknown> = {}, alg = 'ES256'): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    return new SignJWT({ jti: randomBytes(12).toString('base64url'), htm: 'POST', htu: HTU, iat: Math.floor(Date.now() / 1000), ...claims })
      .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk: await exportJWK(publicKey), ...header })
      .sign(privateKey);
  }

  describe('client credentials', () => {
    it('binds the token to the proof key: token_type DPoP and cnf.jkt in the JWT', async () => {
      const res = await clientCredentials({ dpop: await key.proof('POST', HTU) });
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('DPoP');
      expect(decodeJwt(res.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
    });

    it('takes a proof for the in-cluster URL listed in AUTH_DPOP_TOKEN_URLS, and no other URL', async () => {
      expect((await clientCredentials({ dpop: await key.proof('POST', INTERNAL_HTU) })).status).toBe(200);
      // The URL the request really reached (its Host) is not enough: a proof collected elsewhere could name it.
      expectRefused(await clientCredentials({ dpop: await key.proof('POST', `${app.url}/oauth/token`) }), 'dpop_proof_htu_mismatch');
      expectRefused(await clientCredentials({ dpop: await key.proof('POST', `${ISSUER}/oauth/introspect`) }), 'dpop_proof_htu_mismatch');
    });

    it('still issues Bearer tokens without a proof to a client that does not require DPoP', async () => {
      const res = await clientCredentials({});
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('Bearer');
      expect(decodeJwt(res.body.access_token as string).cnf).toBeUndefined();
    });

    it('sends a DPoP-Nonce on every token response, errors included', async () => {
      const ok = await clientCredentials({});
      const refused = await clientCredentials({}, basic('orders', 'wrong-secret-0123456789AbCdEfGhIjKl'));
      expect(refused.status).toBe(401);
      expect(ok.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(refused.headers.get('dpop-nonce')).toBe(ok.headers.get('dpop-nonce'));
    });
  });

  describe('refusals of the proof (400 invalid_dpop_proof with the code)', () => {
    it('refuses a replayed proof', async () => {
      const proof = await key.proof('POST', HTU);
      expect((await clientCredentials({ dpop: proof })).status).toBe(200);
      expectRefused(await clientCredentials({ dpop: proof }), 'dpop_proof_replayed');
    });

    it('refuses a proof for another method', async () => {
      expectRefused(await clientCredentials({ dpop: await key.proof('GET', HTU) }), 'dpop_proof_htm_mismatch');
    });

    it('refuses a stale proof', async () => {
      const stale = await DpopKey.generate('ES256', () => Date.now() - 120_000);
      expectRefused(await clientCredentials({ dpop: await stale.proof('POST', HTU) }), 'dpop_proof_stale');
    });

    it('refuses a proof signed with none or HS256', async () => {
      const { publicKey } = await generateKeyPair('ES256', { extractable: true });
      const claims = { jti: 'j1', htm: 'POST', htu: HTU, iat: Math.floor(Date.now() / 1000) };
      const none = `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: await exportJWK(publicKey) })}.${b64(claims)}.`;
      expectRefused(await clientCredentials({ dpop: none }), 'dpop_proof_bad_algorithm');
      const secret = randomBytes(32);
      const hs = await new SignJWT(claims)
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } })
        .sign(secret);
      expectRefused(await clientCredentials({ dpop: hs }), 'dpop_proof_bad_algorithm');
    });

    it('refuses a proof carrying the private key', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const leaky = await new SignJWT({ jti: 'j2', htm: 'POST', htu: HTU, iat: Math.floor(Date.now() / 1000) })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: await exportJWK(privateKey) })
        .sign(privateKey);
      expectRefused(await clientCredentials({ dpop: leaky }), 'dpop_proof_private_key');
    });

    it('refuses a malformed proof, a wrong typ and two DPoP headers, never with a 500', async () => {
      expectRefused(await clientCredentials({ dpop: 'not.a.proof' }), 'dpop_proof_malformed');
      expectRefused(await clientCredentials({ dpop: await rawProof({}, { typ: 'JWT' }) }), 'dpop_proof_malformed');
      expectRefused(await clientCredentials({ dpop: await rawProof({ htu: undefined }) }), 'dpop_proof_malformed');
      const twice = `${await key.proof('POST', HTU)}, ${await key.proof('POST', HTU)}`;
      expectRefused(await clientCredentials({ dpop: twice }), 'dpop_proof_malformed');
    });

    it('refuses a client registered with dpop_bound_access_tokens that sends no proof, and serves it with one', async () => {
      const auth = basic(BOUND.clientId, BOUND.secret);
      expectRefused(await clientCredentials({}, auth), 'dpop_proof_missing');
      const res = await clientCredentials({ dpop: await key.proof('POST', HTU) }, auth);
      expect({ status: res.status, type: res.body.token_type }).toEqual({ status: 200, type: 'DPoP' });
    });
  });

  describe('the server nonce (AUTH_DPOP_REQUIRE_NONCE)', () => {
    let strict: TestApp<AuthConfig>;
    beforeAll(async () => {
      strict = await newAuthApp({ AUTH_DPOP_REQUIRE_NONCE: 'true' });
    });
    afterAll(() => strict?.close());
    const send = async (dpop: string): Promise<Answer> => {
      const f = form({ grant_type: GRANT_CLIENT_CREDENTIALS });
      const res = await fetch(`${strict.url}/oauth/token`, {
        method: 'POST',
        body: f.body,
        headers: { ...f.headers, authorization: ordersAuth, dpop },
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
    };

    it('answers use_dpop_nonce with a DPoP-Nonce header, and takes the retry that carries it', async () => {
      const first = await send(await key.proof('POST', HTU));
      expectRefused(first, 'dpop_nonce_required', 'use_dpop_nonce');
      const nonce = first.headers.get('dpop-nonce')!;
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expectRefused(await send(await key.proof('POST', HTU, { nonce: 'A'.repeat(22) })), 'dpop_nonce_required', 'use_dpop_nonce');
      const retry = await send(await key.proof('POST', HTU, { nonce }));
      expect({ status: retry.status, type: retry.body.token_type }).toEqual({ status: 200, type: 'DPoP' });
    });

    it('answers use_dpop_nonce, never 500, for a nonce of 22 characters that are not 22 bytes', async () => {
      // 'é' is 2 bytes in UTF-8 and '😀' is 2 UTF-16 units (11 of them are 22 "characters"): a
      // length check in characters let them reach a byte comparison that throws.
      for (const nonce of ['é'.repeat(22), '\u{1F600}'.repeat(11)])
        expectRefused(await send(await key.proof('POST', HTU, { nonce })), 'dpop_nonce_required', 'use_dpop_nonce');
    });

    it('derives the nonce from AUTH_KEK: another instance with the same KEK accepts it, a foreign secret does not', async () => {
      const nonce = (await clientCredentialsAt(strict)).headers.get('dpop-nonce')!;
      const replica = new TokenRequestDpop(strict.app.get<AuthConfig>(APP_CONFIG), {} as JtiReplayStore);
      expect(replica.nonces.accepts(nonce)).toBe(true);
      expect(new DpopNonceSource({ secret: randomBytes(32), windowS: 300 }).accepts(nonce)).toBe(false);
    });

    async function clientCredentialsAt(target: TestApp<AuthConfig>): Promise<Response> {
      const f = form({ grant_type: GRANT_CLIENT_CREDENTIALS });
      return fetch(`${target.url}/oauth/token`, { method: 'POST', body: f.body, headers: { ...f.headers, authorization: ordersAuth } });
    }
  });

  describe('authorization code and refresh', () => {
    const pkce = (): { verifier: string; challenge: string } => {
      const verifier = randomBytes(32).toString('base64url');
      return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
    };
    async function codeFor(client: { clientId: string; redirectUris: string[] }, over: Partial<CodeGrant> = {}) {
      const { verifier, challenge } = pkce();
      const code = await codes.issue({
        clientId: client.clientId,
        redirectUri: client.redirectUris[0]!,
        codeChallenge: challenge,
        userId,
        scope: 'orders:read',
        audiences: ['orders'],
        nonce: null,
        authTime: new Date(Date.now() - 5_000),
        ssoSessionId: null,
        ...over,
      });
      return { code, verifier, redirect_uri: client.redirectUris[0]! };
    }
    const redeem = async (client: typeof SPA | typeof WEB, c: { code: string; verifier: string; redirect_uri: string }, dpop?: string) =>
      token(
        {
          grant_type: 'authorization_code',
          code: c.code,
          code_verifier: c.verifier,
          redirect_uri: c.redirect_uri,
          ...('public' in client ? { client_id: client.clientId } : {}),
        },
        {
          ...(dpop === undefined ? {} : { dpop }),
          ...('secret' in client ? { authorization: basic(client.clientId, client.secret) } : {}),
        },
      );
    const refresh = (refreshToken: string, client: typeof SPA | typeof WEB, dpop?: string) =>
      token(
        { grant_type: 'refresh_token', refresh_token: refreshToken, ...('public' in client ? { client_id: client.clientId } : {}) },
        {
          ...(dpop === undefined ? {} : { dpop }),
          ...('secret' in client ? { authorization: basic(client.clientId, client.secret) } : {}),
        },
      );

    it('binds a public client: DPoP token from the code, and its refresh token only works with the same key', async () => {
      const res = await redeem(SPA, await codeFor(SPA), await key.proof('POST', HTU));
      expect({ status: res.status, type: res.body.token_type }).toEqual({ status: 200, type: 'DPoP' });
      expect(decodeJwt(res.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
      const rt = res.body.refresh_token as string;
      const thief = await DpopKey.generate();
      const stolen = await refresh(rt, SPA, await thief.proof('POST', HTU));
      expect({ status: stolen.status, error: stolen.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
      const bare = await refresh(rt, SPA);
      expect({ status: bare.status, error: bare.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
      // Neither attempt spent it: the holder of the key still refreshes.
      const own = await refresh(rt, SPA, await key.proof('POST', HTU));
      expect({ status: own.status, type: own.body.token_type }).toEqual({ status: 200, type: 'DPoP' });
      expect(decodeJwt(own.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
    });

    it('leaves a confidential client refresh token unbound (RFC 9449 §5), binding each access token to its own proof', async () => {
      const res = await redeem(WEB, await codeFor(WEB), await key.proof('POST', HTU));
      expect(res.body.token_type).toBe('DPoP');
      const other = await DpopKey.generate();
      const next = await refresh(res.body.refresh_token as string, WEB, await other.proof('POST', HTU));
      expect({ status: next.status, type: next.body.token_type }).toEqual({ status: 200, type: 'DPoP' });
      expect(decodeJwt(next.body.access_token as string).cnf).toEqual({ jkt: other.jkt });
      const bearer = await refresh(next.body.refresh_token as string, WEB);
      expect({ status: bearer.status, type: bearer.body.token_type }).toEqual({ status: 200, type: 'Bearer' });
    });

    it('redeems a dpop_jkt-bound code only with a proof of that key (RFC 9449 §10), and leaves it for the key holder', async () => {
      const c = await codeFor(SPA, { dpopJkt: key.jkt });
      const thief = await DpopKey.generate();
      const wrong = await redeem(SPA, c, await thief.proof('POST', HTU));
      expect({ status: wrong.status, error: wrong.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
      const none = await redeem(SPA, c);
      expect({ status: none.status, error: none.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
      const own = await redeem(SPA, c, await key.proof('POST', HTU));
      expect({ status: own.status, type: own.body.token_type }).toEqual({ status: 200, type: 'DPoP' });
    });
  });

  describe('token exchange', () => {
    const gatewayAuth = basic(GATEWAY_CLIENT.clientId, GATEWAY_CLIENT.secret);
    const exchange = (subject: string, headers: Record<string, string> = {}) =>
      token(
        { grant_type: GRANT_TOKEN_EXCHANGE, subject_token: subject, subject_token_type: TOKEN_TYPE_ACCESS_TOKEN, audience: 'orders' },
        { authorization: gatewayAuth, ...headers },
      );

    it("binds the exchanged token to the actor's key when the actor sends a proof", async () => {
      const gatewayKey = await DpopKey.generate();
      const res = await exchange(userToken, { dpop: await gatewayKey.proof('POST', HTU) });
      expect({ status: res.status, type: res.body.token_type }).toEqual({ status: 200, type: 'DPoP' });
      const claims = decodeJwt(res.body.access_token as string);
      expect({ cnf: claims.cnf, act: claims.act }).toEqual({ cnf: { jkt: gatewayKey.jkt }, act: { sub: 'gateway' } });
    });

    it('never turns a DPoP-bound subject token into a bearer one: without an actor proof it is refused', async () => {
      const spa = await redeem2();
      const bare = await exchange(spa);
      expectRefused(bare, 'dpop_proof_missing');
      const gatewayKey = await DpopKey.generate();
      const bound = await exchange(spa, { dpop: await gatewayKey.proof('POST', HTU) });
      expect({ status: bound.status, jkt: (decodeJwt(bound.body.access_token as string).cnf as { jkt: string }).jkt }).toEqual({
        status: 200,
        jkt: gatewayKey.jkt,
      });
      // No widening: a client without the exchange grant gets nothing for a bound token either, proof or not.
      const ordersTry = await token(
        { grant_type: GRANT_TOKEN_EXCHANGE, subject_token: spa, subject_token_type: TOKEN_TYPE_ACCESS_TOKEN, audience: 'profiles' },
        { authorization: ordersAuth, dpop: await gatewayKey.proof('POST', HTU) },
      );
      expect({ status: ordersTry.status, error: ordersTry.body.error }).toEqual({ status: 400, error: 'unauthorized_client' });
    });

    /** A rebinding refusal: invalid_grant (the proof is fine, the grant is not usable with it) and its code. */
    function expectNotRebound(answer: Answer): void {
      expect({ status: answer.status, error: answer.body.error, code: answer.body.code }).toEqual({
        status: 400,
        error: 'invalid_grant',
        code: 'dpop_proof_key_mismatch',
      });
      expect(answer.body).not.toHaveProperty('access_token');
    }

    it("refuses a non-edge client rebinding a user's bound token to a thief's key, and keeps the binding for its holder", async () => {
      const spa = await redeem2();
      const thief = await DpopKey.generate();
      const partnerAuth = basic(PARTNER.clientId, PARTNER.secret);
      expectNotRebound(await exchange(spa, { authorization: partnerAuth, dpop: await thief.proof('POST', HTU) }));
      // The holder of the key exchanges its own token: the new one stays bound to the same key.
      const own = await exchange(spa, { authorization: partnerAuth, dpop: await key.proof('POST', HTU) });
      expect({ status: own.status, cnf: decodeJwt(own.body.access_token as string).cnf }).toEqual({ status: 200, cnf: { jkt: key.jkt } });
    });

    it("never rebinds an exchanged token (the internal one copied off the gateway's hop), even with the edge's secret", async () => {
      const gatewayKey = await DpopKey.generate();
      const internal = await exchange(await redeem2(), { dpop: await gatewayKey.proof('POST', HTU) });
      expect(internal.status).toBe(200);
      const thief = await DpopKey.generate();
      expectNotRebound(await exchange(internal.body.access_token as string, { dpop: await thief.proof('POST', HTU) }));
      // The gateway, holding the key, may still exchange it again: the binding is kept.
      const again = await exchange(internal.body.access_token as string, { dpop: await gatewayKey.proof('POST', HTU) });
      expect({ status: again.status, cnf: decodeJwt(again.body.access_token as string).cnf }).toEqual({
        status: 200,
        cnf: { jkt: gatewayKey.jkt },
      });
    });

    /** A DPoP-bound user token for orders (a public client's, by the code flow). */
    async function redeem2(): Promise<string> {
      const { verifier, challenge } = {
        verifier: 'v'.repeat(43),
        challenge: createHash('sha256').update('v'.repeat(43)).digest('base64url'),
      };
      const code = await codes.issue({
        clientId: SPA.clientId,
        redirectUri: SPA.redirectUris[0]!,
        codeChallenge: challenge,
        userId,
        scope: 'orders:read',
        audiences: ['orders'],
        nonce: null,
        authTime: new Date(),
        ssoSessionId: null,
      });
      const res = await token(
        { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: SPA.redirectUris[0]!, client_id: SPA.clientId },
        { dpop: await key.proof('POST', HTU) },
      );
      expect(res.body.token_type).toBe('DPoP');
      return res.body.access_token as string;
    }
  });

  describe('discovery and introspection', () => {
    it('lists the asymmetric DPoP algorithms in discovery, never none or HMAC', async () => {
      const doc = (await (await fetch(`${app.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(doc.dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA', 'RS256', 'PS256']);
    });

    it('introspects a bound token with token_type DPoP and its cnf (RFC 9449 §6.2)', async () => {
      const issued = await clientCredentials({ dpop: await key.proof('POST', HTU) });
      const f = form({ token: issued.body.access_token as string });
      // The orders client may introspect its own token.
      const res = await fetch(`${app.url}/oauth/introspect`, {
        method: 'POST',
        body: f.body,
        headers: { ...f.headers, authorization: ordersAuth },
      });
      const body = (await res.json()) as Record<string, unknown>;
      expect({ active: body.active, token_type: body.token_type, cnf: body.cnf }).toEqual({
        active: true,
        token_type: 'DPoP',
        cnf: { jkt: key.jkt },
      });
    });
  });
});
