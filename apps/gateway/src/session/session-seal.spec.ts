import { isWellFormedSessionId, newSessionId, openSession, sealSession, sessionHash } from './session-seal.js';

const record = { sub: 'u1', accessToken: 'at', accessExpiresAt: 1, refreshToken: 'rt-secret', csrfToken: 'c', createdAt: 0 };

describe('session ids and sealed records', () => {
  it('makes 256-bit ids, a new one every time', () => {
    const a = newSessionId();
    expect(isWellFormedSessionId(a)).toBe(true);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(newSessionId()).not.toBe(a);
    expect(isWellFormedSessionId('short')).toBe(false);
    expect(isWellFormedSessionId(undefined)).toBe(false);
  });

  it('keys the store by a hash that does not reveal the id', () => {
    const id = newSessionId();
    expect(sessionHash(id)).not.toContain(id);
    expect(sessionHash(id)).toBe(sessionHash(id));
  });

  it('seals a record only the session id can open, without the tokens in clear', () => {
    const id = newSessionId();
    const sealed = sealSession(id, record);
    expect(sealed).not.toContain('rt-secret');
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('rt-secret');
    expect(openSession(id, sealed)).toEqual(record);
    expect(openSession(newSessionId(), sealed)).toBeUndefined();
    const tampered = Buffer.from(sealed, 'base64url');
    tampered[tampered.length - 1]! ^= 1;
    expect(openSession(id, tampered.toString('base64url'))).toBeUndefined();
  });
});
