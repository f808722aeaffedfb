import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { AuthConfig } from '../config/auth.config.js';
import type { Keyring } from '../keys/keyring.service.js';
import { IdTokenIssuer, atHash } from './id-token.issuer.js';

const T0 = new Date('2030-01-01T00:00:00Z');
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyring = { currentSigner: async () => ({ kid: 'kid-1', privateKey }) } as unknown as Keyring;
const config = { auth: { issuer: 'https://auth.example', accessTokenTtlSeconds: 300 } } as unknown as AuthConfig;
const issuer = new IdTokenIssuer(keyring, config);

describe('IdTokenIssuer', () => {
  it('computes at_hash as OpenID Connect Core §3.1.3.6 does (left half of SHA-256, base64url)', () => {
    // The example of OpenID Connect Core Appendix A.3: access token jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y.
    expect(atHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y')).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });

  it('signs the OpenID Connect Core §2 claims, aud = the client, typ JWT (never at+jwt)', async () => {
    const token = await issuer.issue(
      { sub: 'user-1', clientId: 'web', authTime: new Date(T0.getTime() - 42_000), nonce: 'n-0S6', sid: 'sid-1', accessToken: 'at' },
      T0,
    );
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'kid-1' });
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: ['RS256'],
      currentDate: T0,
      issuer: 'https://auth.example',
      audience: 'web',
    });
    const iat = T0.getTime() / 1000;
    expect(payload).toEqual({
      iss: 'https://auth.example',
      sub: 'user-1',
      aud: 'web',
      iat,
      exp: iat + 300,
      auth_time: iat - 42,
      nonce: 'n-0S6',
      at_hash: atHash('at'),
      sid: 'sid-1',
    });
    expect(payload).not.toHaveProperty('scope');
    expect(payload).not.toHaveProperty('client_id');
  });

  it('leaves out nonce and sid when the request had none', async () => {
    const token = await issuer.issue({ sub: 'u', clientId: 'web', authTime: T0, nonce: null, sid: null, accessToken: 'at' }, T0);
    const { payload } = await jwtVerify(token, publicKey, { currentDate: T0 });
    expect(Object.keys(payload).sort()).toEqual(['at_hash', 'aud', 'auth_time', 'exp', 'iat', 'iss', 'sub']);
  });
});
