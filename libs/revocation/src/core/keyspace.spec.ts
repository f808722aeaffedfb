import { RevocationKeyspace, compareStreamIds, parseRevocationEvent } from './keyspace.js';

describe('RevocationKeyspace', () => {
  it('names every key under one hash tag, {authmesh:rev}, so they share a Cluster slot', () => {
    const ks = new RevocationKeyspace();
    expect(ks.jtiKey('abc')).toBe('{authmesh:rev}revoked:jti:abc');
    expect(ks.subKey('u-1')).toBe('{authmesh:rev}revoked:sub:u-1');
    expect(ks.kidKey('k')).toBe('{authmesh:rev}revoked:kid:k');
    expect(ks.generationKey).toBe('{authmesh:rev}revocation:generation');
    expect(ks.streamKey).toBe('{authmesh:rev}revocation:events');
  });

  it('puts the prefix inside the hash tag, and refuses braces in it', () => {
    const ks = new RevocationKeyspace('t1:');
    expect([ks.jtiKey('a'), ks.subKey('b'), ks.streamKey]).toEqual([
      '{t1:authmesh:rev}revoked:jti:a',
      '{t1:authmesh:rev}revoked:sub:b',
      '{t1:authmesh:rev}revocation:events',
    ]);
    expect(() => new RevocationKeyspace('t}')).toThrow(/braces/);
  });

  it('orders stream ids as Redis does: by ms, then by sequence, not as text', () => {
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamIds('10-1', '10-1')).toBe(0);
    expect(compareStreamIds('0-0', '1-0')).toBeLessThan(0);
  });

  it('turns a stored key and value back into an event, and ignores anything else', () => {
    const ks = new RevocationKeyspace();
    expect(ks.eventOf(ks.jtiKey('a:b'), '1700000000000')).toEqual({ kind: 'jti', jti: 'a:b', expiresAtMs: 1700000000000 });
    expect(ks.eventOf(ks.subKey('u'), '5')).toEqual({ kind: 'sub', sub: 'u', revokedAtMs: 5 });
    expect(ks.eventOf(ks.jtiKey(''), '5')).toBeUndefined();
    expect(ks.eventOf('{authmesh:rev}revoked:other:x', '5')).toBeUndefined();
    expect(ks.eventOf('revoked:jti:x', '5')).toBeUndefined(); // the old, untagged name
    expect(ks.eventOf(ks.jtiKey('x'), 'garbage')).toBeUndefined();
    expect(ks.eventOf(ks.jtiKey('x'), null)).toBeUndefined();
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
