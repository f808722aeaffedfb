import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { ClientAssertionRejected, ClientAssertionVerifier, claimedClientId } from './client-assertion.js';
import type { ClientJwks } from './client-jwks.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const ISSUER = 'https://auth.test';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const client = { clientId: 'orders', jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }] } as ClientJwks };

function sign(claims: { exp: number; iat?: number; jti?: string }, aud: string | string[] = ISSUER): Promise<string> {
  const jwt = new SignJWT({ jti: claims.jti ?? 'j-1' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer('orders')
    .setSubject('orders')
    .setAudience(aud)
    .setExpirationTime(claims.exp);
  if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
  return jwt.sign(privateKey);
}

describe('ClientAssertionVerifier (clock injected)', () => {
  let now: number;
  let claims: { clientId: string; jti: string; ttlMs: number }[];
  const verifier = (): ClientAssertionVerifier =>
    new ClientAssertionVerifier({
      issuer: ISSUER,
      tokenEndpoint: `${ISSUER}/oauth/token`,
      clockToleranceSeconds: 30,
      now: () => now,
      replay: {
        claim: (clientId, jti, ttlMs) => {
          claims.push({ clientId, jti, ttlMs });
          return Promise.resolve(claims.filter((c) => c.jti === jti).length === 1);
        },
      },
    });
  const s = (offset: number): number => Math.floor(T0 / 1000) + offset;
  const reason = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (e) {
      if (e instanceof ClientAssertionRejected) return e.reason;
      throw e;
    }
    return 'accepted';
  };

  beforeEach(() => {
    now = T0;
    claims = [];
  });

  it('keeps the jti until the assertion expires, tolerance included, and refuses its second use', async () => {
    const jwt = await sign({ exp: s(60), iat: s(0) });
    await verifier().verify(jwt, client);
    expect(claims).toEqual([{ clientId: 'orders', jti: 'j-1', ttlMs: 90_000 }]);
    expect(await reason(verifier().verify(jwt, client))).toMatch(/replayed/);
  });

  it('takes exp up to 5 minutes ahead (plus the tolerance), not a second more', async () => {
    expect(await reason(verifier().verify(await sign({ exp: s(330), jti: 'a' }), client))).toBe('accepted');
    expect(await reason(verifier().verify(await sign({ exp: s(331), jti: 'b' }), client))).toMatch(/more than 300 s/);
  });

  it('refuses an exp past the tolerance and an iat past it in the future, with no jti spent', async () => {
    expect(await reason(verifier().verify(await sign({ exp: s(-31) }), client))).toMatch(/ERR_JWT_EXPIRED/);
    expect(await reason(verifier().verify(await sign({ exp: s(120), iat: s(31) }), client))).toMatch(/iat in the future/);
    expect(claims).toEqual([]);
  });

  it('takes aud = the issuer or the token endpoint, alone or together; refuses any other value beside them', async () => {
    expect(await reason(verifier().verify(await sign({ exp: s(60), jti: 'a' }, `${ISSUER}/oauth/token`), client))).toBe('accepted');
    expect(await reason(verifier().verify(await sign({ exp: s(60), jti: 'b' }, [ISSUER, `${ISSUER}/oauth/token`]), client))).toBe(
      'accepted',
    );
    expect(await reason(verifier().verify(await sign({ exp: s(60), jti: 'c' }, [ISSUER, 'https://evil.test']), client))).toMatch(
      /names something other than this server/,
    );
    expect(await reason(verifier().verify(await sign({ exp: s(60), jti: 'd' }, `${ISSUER}/`), client))).toMatch(/names something other/);
  });

  it('reads the claimed client id without trusting it, and refuses what is not a JWT', () => {
    expect(claimedClientId('eyJhbGciOiJub25lIn0.eyJzdWIiOiJvcmRlcnMifQ.')).toBe('orders');
    expect(() => claimedClientId('not a jwt')).toThrow(ClientAssertionRejected);
  });

  it('refuses a claimed client id that is no client id (a NUL, junk) before anything looks it up', () => {
    const unsigned = (sub: string): string => `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ sub })).toString('base64url')}.`;
    for (const sub of ['\u0000', 'a\u0000b', 'a b', 'x'.repeat(65)])
      expect(() => claimedClientId(unsigned(sub))).toThrow(new ClientAssertionRejected('sub is not a well-formed client id'));
  });
});
