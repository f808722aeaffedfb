import { createHmac, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { type JWK, SignJWT } from 'jose';
import { OwnedRedis, type TestApp, waitFor } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { ISSUER, ORDERS_CLIENT, basic, form, newAuthApp, post } from './auth-fixture.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_ENDPOINT = `${ISSUER}/oauth/token`;

interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
}

function rsaKey(kid: string, bits = 2048): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid } };
}
function ecKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid } };
}

/** The same modulus with its low bit cleared: node:crypto still imports it. */
function evenModulus(n: string): string {
  const bytes = Buffer.from(n, 'base64url');
  bytes[bytes.length - 1]! &= 0xfe;
  return bytes.toString('base64url');
}

/** Keyed clients: one RSA (RS256 and PS256), one EC (ES256), each registered through AUTH_SEED_CLIENTS. */
const RSA = rsaKey('orders-rsa-1');
const EC = ecKey('reports-ec-1');
const KEYED = { clientId: 'keyed', jwks: { keys: [RSA.publicJwk] }, scopes: ['profiles:read'], audiences: ['profiles'] };
const KEYED_EC = { clientId: 'keyed-ec', jwks: { keys: [EC.publicJwk] }, scopes: ['profiles:read'], audiences: ['profiles'] };
const ADMIN = {
  clientId: 'ops-admin',
  secret: 'ops-admin-secret-0123456789-abcdefghijklmnop',
  scopes: ['auth:admin'],
  audiences: ['auth'],
};

interface AssertionOptions {
  key?: SigningKey;
  alg?: string;
  kid?: string;
  iss?: string;
  sub?: string;
  aud?: string | string[];
  /** Seconds from now. */
  exp?: number;
  iat?: number;
  jti?: string | null;
}

const nowS = (): number => Math.floor(Date.now() / 1000);

async function assertion(clientId: string, o: AssertionOptions = {}): Promise<string> {
  const key = o.key ?? RSA;
  const jwt = new SignJWT({ ...(o.jti === null ? {} : { jti: o.jti ?? randomUUID() }) })
    .setProtectedHeader({ alg: o.alg ?? 'RS256', kid: o.kid ?? (key.publicJwk.kid as string) })
    .setIssuer(o.iss ?? clientId)
    .setSubject(o.sub ?? clientId)
    .setAudience(o.aud ?? ISSUER)
    .setIssuedAt(nowS() + (o.iat ?? 0))
    .setExpirationTime(nowS() + (o.exp ?? 60));
  return jwt.sign(key.privateKey);
}

/** An unsigned JWT of the same claims (`alg: none`, RFC 7519 §6). */
function unsecured(clientId: string): string {
  const part = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = { iss: clientId, sub: clientId, aud: ISSUER, exp: nowS() + 60, iat: nowS(), jti: randomUUID() };
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

/** HS256 keyed with the bytes of the client's PUBLIC key (the algorithm-confusion forgery anyone holding the JWKS can make). */
function hmacWithPublicKey(clientId: string, publicJwk: JWK): string {
  const part = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = { iss: clientId, sub: clientId, aud: ISSUER, exp: nowS() + 60, iat: nowS(), jti: randomUUID() };
  const input = `${part({ alg: 'HS256', kid: publicJwk.kid })}.${part(claims)}`;
  const signature = createHmac('sha256', JSON.stringify(publicJwk)).update(input).digest('base64url');
  return `${input}.${signature}`;
}

describe('auth: private_key_jwt client authentication (RFC 7523 §2.2)', () => {
  let app: TestApp<AuthConfig>;

  beforeAll(async () => {
    app = await newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, KEYED, KEYED_EC, ADMIN]) });
  });
  afterAll(() => app?.close());

  async function token(params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const f = form({ grant_type: 'client_credentials', ...params });
    return fetch(`${app.url}/oauth/token`, { method: 'POST', body: f.body, headers: { ...f.headers, ...headers } });
  }
  const withAssertion = (jwt: string, extra: Record<string, string> = {}): Promise<Response> =>
    token({ client_assertion_type: JWT_BEARER, client_assertion: jwt, ...extra });

  /** A refusal as RFC 6749 §5.2 says: 401 invalid_client with the one fixed description, whatever the reason. */
  async function expectInvalidClient(res: Response): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
  }

  describe('a claimed client id that is no client id is refused before any lookup (a NUL in Postgres text is a 500)', () => {
    it('refuses an assertion whose unverified sub is "\\u0000" with 401 invalid_client', async () => {
      await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId, { sub: '\u0000' })));
      await expectInvalidClient(await withAssertion(await assertion('\u0000')));
    });

    // A NUL in a body parameter is already invalid_request (OAuthParams); other junk reaches the client-id rule.
    it('refuses an assertion sent with a body client_id that is no client id ("a b") with 401 invalid_client', async () => {
      await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId), { client_id: 'a b' }));
    });

    it('refuses a Basic header (raw or %00-encoded) whose id is "a\\u0000b", and a body client_id "a b", with 401 invalid_client', async () => {
      const raw = `Basic ${Buffer.from('a\u0000b:some-secret').toString('base64')}`;
      await expectInvalidClient(await token({}, { authorization: raw }));
      await expectInvalidClient(await token({}, { authorization: basic('a\u0000b', 'some-secret') }));
      await expectInvalidClient(await token({ client_id: 'a b', client_secret: 'some-secret' }));
    });
  });

  it('issues a client-credentials token to a client authenticated by a private_key_jwt assertion', async () => {
    const res = await withAssertion(await assertion(KEYED.clientId));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; scope: string };
    expect(body.scope).toBe('profiles:read');
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: KEYED.clientId, client_id: KEYED.clientId, aud: 'profiles' });
  });

  it('takes every algorithm discovery lists (RS256, PS256, ES256) and aud = the token endpoint URL', async () => {
    const meta = (await (await fetch(`${app.url}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(meta.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
    expect(meta.token_endpoint_auth_signing_alg_values_supported).toEqual(['RS256', 'PS256', 'ES256']);
    const byAlg: Record<string, () => Promise<string>> = {
      RS256: () => assertion(KEYED.clientId, { alg: 'RS256' }),
      PS256: () => assertion(KEYED.clientId, { alg: 'PS256' }),
      ES256: () => assertion(KEYED_EC.clientId, { key: EC, alg: 'ES256' }),
    };
    for (const alg of meta.token_endpoint_auth_signing_alg_values_supported!) {
      expect({ alg, status: (await withAssertion(await byAlg[alg]!())).status }).toEqual({ alg, status: 200 });
    }
    expect((await withAssertion(await assertion(KEYED.clientId, { aud: TOKEN_ENDPOINT }))).status).toBe(200);
    // client_secret_basic and client_secret_post, the other two methods listed, still work for a secret client.
    expect((await token({ audience: 'profiles' }, { authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) })).status).toBe(
      200,
    );
    expect((await token({ client_id: ORDERS_CLIENT.clientId, client_secret: ORDERS_CLIENT.secret })).status).toBe(200);
  });

  it('authenticates by assertion at introspection and revocation too, as discovery says', async () => {
    const issued = (await (await withAssertion(await assertion(KEYED.clientId))).json()) as { access_token: string };
    const call = async (path: string, params: Record<string, string>): Promise<Response> => {
      const f = form({ client_assertion_type: JWT_BEARER, client_assertion: await assertion(KEYED.clientId), ...params });
      return fetch(`${app.url}/oauth/${path}`, { method: 'POST', body: f.body, headers: f.headers });
    };
    const introspected = await call('introspect', { token: issued.access_token });
    expect(introspected.status).toBe(200);
    expect(await introspected.json()).toMatchObject({ active: true, client_id: KEYED.clientId });
    expect((await call('revoke', { token: issued.access_token })).status).toBe(200);
    expect(await (await call('introspect', { token: issued.access_token })).json()).toEqual({ active: false });
  });

  it('refuses a replayed assertion (its jti was used) with invalid_client', async () => {
    const jwt = await assertion(KEYED.clientId);
    expect((await withAssertion(jwt)).status).toBe(200);
    await expectInvalidClient(await withAssertion(jwt));
  });

  it('refuses concurrent uses of one assertion but one (the jti is claimed atomically)', async () => {
    const jwt = await assertion(KEYED.clientId);
    const statuses = (await Promise.all(Array.from({ length: 5 }, () => withAssertion(jwt)))).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401]);
  });

  it('refuses an expired assertion with invalid_client', async () => {
    await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId, { exp: -120, iat: -180 })));
  });

  it('refuses an assertion that expires more than 5 minutes ahead', async () => {
    await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId, { exp: 3600 })));
  });

  it('refuses an assertion issued in the future', async () => {
    await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId, { iat: 600, exp: 200 })));
  });

  it('refuses an assertion for another audience, or an aud array naming another server (audience injection)', async () => {
    await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId, { aud: 'https://other-as.example' })));
    await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId, { aud: [ISSUER, 'https://other-as.example'] })));
  });

  it('refuses an assertion signed with HMAC keyed by the public key (alg confusion) with invalid_client', async () => {
    await expectInvalidClient(await withAssertion(hmacWithPublicKey(KEYED.clientId, RSA.publicJwk)));
  });

  it('refuses an unsigned assertion (alg: none) with invalid_client', async () => {
    await expectInvalidClient(await withAssertion(unsecured(KEYED.clientId)));
  });

  it('refuses an assertion signed by a key the client did not register, even under a registered kid', async () => {
    await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId, { key: rsaKey('stranger') })));
    await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId, { key: rsaKey(RSA.publicJwk.kid as string) })));
  });

  it('refuses an assertion without jti, or whose iss or client_id is another client', async () => {
    await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId, { jti: null })));
    await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId, { iss: KEYED_EC.clientId })));
    await expectInvalidClient(await withAssertion(await assertion(KEYED.clientId), { client_id: KEYED_EC.clientId }));
    expect((await withAssertion(await assertion(KEYED.clientId), { client_id: KEYED.clientId })).status).toBe(200);
  });

  it('refuses an assertion from a secret client, and a secret for a private_key_jwt client', async () => {
    // ORDERS_CLIENT has a secret and no keys; an assertion "signed" by keys it never registered names it.
    await expectInvalidClient(await withAssertion(await assertion(ORDERS_CLIENT.clientId)));
    const res = await token({}, { authorization: basic(KEYED.clientId, 'any-secret-at-all-0123') });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('refuses mixing a secret and an assertion with invalid_request', async () => {
    const jwt = await assertion(KEYED.clientId);
    const both = await token(
      { client_assertion_type: JWT_BEARER, client_assertion: jwt },
      { authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) },
    );
    expect(both.status).toBe(400);
    expect(((await both.json()) as { error: string }).error).toBe('invalid_request');
    const inBody = await withAssertion(jwt, { client_id: KEYED.clientId, client_secret: 'x-secret-0123456789' });
    expect(((await inBody.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('refuses an oversized assertion with invalid_client', async () => {
    const jwt = await assertion(KEYED.clientId);
    await expectInvalidClient(await withAssertion(`${jwt}${'A'.repeat(4200)}`));
  });

  describe('admin API: POST /admin/clients with jwks', () => {
    let adminToken: string;
    beforeAll(async () => {
      const res = await token({ audience: 'auth', scope: 'auth:admin' }, { authorization: basic(ADMIN.clientId, ADMIN.secret) });
      adminToken = ((await res.json()) as { access_token: string }).access_token;
    });
    const create = (body: Record<string, unknown>): Promise<Response> =>
      post(`${app.url}/admin/clients`, body, { authorization: `Bearer ${adminToken}` });

    it('registers a private_key_jwt client with no secret, which then authenticates with its key', async () => {
      const key = ecKey('new-ec-1');
      const clientId = `keyed-${randomUUID().slice(0, 8)}`;
      const res = await create({ clientId, scopes: ['profiles:read'], audiences: ['profiles'], jwks: { keys: [key.publicJwk] } });
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).not.toHaveProperty('clientSecret');
      expect(body).toMatchObject({
        clientId,
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [{ kty: 'EC', kid: 'new-ec-1' }] },
      });
      expect((await withAssertion(await assertion(clientId, { key, alg: 'ES256' }))).status).toBe(200);
    });

    it.each([
      [
        'a private key (d)',
        () => ({ keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'k' }] }),
      ],
      ['a symmetric key (oct)', () => ({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'k' }] })],
      ['an RSA key under 2048 bits', () => ({ keys: [rsaKey('small', 1024).publicJwk] })],
      // e = 1: a signature equal to the PKCS#1 v1.5 encoding of the hash verifies, anyone forges the client.
      ['an RSA key with public exponent 1', () => ({ keys: [{ ...RSA.publicJwk, e: 'AQ' }] })],
      ['an RSA key with public exponent 3', () => ({ keys: [{ ...RSA.publicJwk, e: 'Aw' }] })],
      ['an RSA key with an even modulus', () => ({ keys: [{ ...RSA.publicJwk, n: evenModulus(RSA.publicJwk.n!) }] })],
      ['a key without kid', () => ({ keys: [{ ...RSA.publicJwk, kid: undefined }] })],
      ['two keys with one kid', () => ({ keys: [RSA.publicJwk, { ...EC.publicJwk, kid: RSA.publicJwk.kid }] })],
      [
        'a curve other than P-256',
        () => ({ keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }), kid: 'k' }] }),
      ],
      ['more than 5 keys', () => ({ keys: Array.from({ length: 6 }, (_, i) => ({ ...EC.publicJwk, kid: `k${i}` })) })],
    ])('refuses a JWKS holding %s with 400 naming the field jwks', async (_what, jwks) => {
      const res = await create({ clientId: `bad-${randomUUID().slice(0, 8)}`, scopes: [], audiences: ['profiles'], jwks: jwks() });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; details: { fields: { field: string }[] } };
      expect(body.code).toBe('validation_failed');
      expect(body.details.fields.map((f) => f.field)).toEqual(['jwks']);
    });
  });
});

describe('auth: private_key_jwt while Redis is down', () => {
  let app: TestApp<AuthConfig>;
  let redis: OwnedRedis;

  beforeAll(async () => {
    redis = await OwnedRedis.start();
    app = await newAuthApp({ REDIS_URL: redis.url, AUTH_SEED_CLIENTS: JSON.stringify([KEYED]) });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('answers 503 with Retry-After when the jti store (Redis) does not answer, never accepts the assertion unchecked', async () => {
    const send = async (): Promise<Response> => {
      const f = form({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER,
        client_assertion: await assertion(KEYED.clientId),
      });
      return fetch(`${app.url}/oauth/token`, { method: 'POST', body: f.body, headers: f.headers, signal: AbortSignal.timeout(10_000) });
    };
    expect((await send()).status).toBe(200);
    await redis.stop();
    const res = await send();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await res.json()) as { error: string }).error).toBe('temporarily_unavailable');
    // Back up: the same assertion flow works again (and the app closes on a live connection).
    await redis.start();
    await waitFor(async () => (await send()).status === 200, 10_000, 200);
  });
});
