import { RevocationKeyspace, parseRevocationEvent } from './keyspace.js';

describe('RevocationKeyspace', () => {
  it('names keys revoked:jti:<jti> and revoked:sub:<sub> and the channel authmesh:revocations', () => {
    const ks = new RevocationKeyspace();
    expect(ks.jtiKey('abc')).toBe('revoked:jti:abc');
    expect(ks.subKey('u-1')).toBe('revoked:sub:u-1');
    expect(ks.channel).toBe('authmesh:revocations');
    expect(ks.scanPattern).toBe('revoked:*');
  });

  it('puts a prefix in front of keys, channel and scan pattern alike, and refuses glob characters in it', () => {
    const ks = new RevocationKeyspace('t1:');
    expect([ks.jtiKey('a'), ks.subKey('b'), ks.channel, ks.scanPattern]).toEqual([
      't1:revoked:jti:a',
      't1:revoked:sub:b',
      't1:authmesh:revocations',
      't1:revoked:*',
    ]);
    expect(() => new RevocationKeyspace('t*')).toThrow(/glob/);
  });

  it('turns a stored key and value back into an event, and ignores anything else', () => {
    const ks = new RevocationKeyspace();
    expect(ks.eventOf('revoked:jti:a:b', '1700000000000')).toEqual({ kind: 'jti', jti: 'a:b', expiresAtMs: 1700000000000 });
    expect(ks.eventOf('revoked:sub:u', '5')).toEqual({ kind: 'sub', sub: 'u', revokedAtMs: 5 });
    expect(ks.eventOf('revoked:jti:', '5')).toBeUndefined();
    expect(ks.eventOf('revoked:other:x', '5')).toBeUndefined();
    expect(ks.eventOf('revoked:jti:x', 'garbage')).toBeUndefined();
    expect(ks.eventOf('revoked:jti:x', null)).toBeUndefined();
  });
});

describe('parseRevocationEvent', () => {
  it('parses both kinds from JSON or objects', () => {
    expect(parseRevocationEvent('{"kind":"jti","jti":"x","expiresAtMs":1}')).toEqual({ kind: 'jti', jti: 'x', expiresAtMs: 1 });
    expect(parseRevocationEvent({ kind: 'sub', sub: 'u', revokedAtMs: 2, extra: true })).toEqual({ kind: 'sub', sub: 'u', revokedAtMs: 2 });
  });

  it("parses auth's client-change announcement, and refuses one without a client id", () => {
    expect(parseRevocationEvent('{"kind":"client","clientId":"orders","changedAtMs":3}')).toEqual({
      kind: 'client',
      clientId: 'orders',
      changedAtMs: 3,
    });
    expect(parseRevocationEvent({ kind: 'client', clientId: '', changedAtMs: 3 })).toBeUndefined();
  });

  it.each([
    ['not json'],
    ['null'],
    ['{"kind":"jti","jti":"","expiresAtMs":1}'],
    ['{"kind":"sub","sub":"u","revokedAtMs":"2"}'],
    ['{"kind":"x"}'],
    ['{"kind":"jti","jti":"x","expiresAtMs":-1}'],
  ])('rejects %s without throwing', (input) => {
    expect(parseRevocationEvent(input)).toBeUndefined();
  });
});
