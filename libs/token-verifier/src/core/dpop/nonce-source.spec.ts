import { DpopNonceSource } from './nonce-source.js';

describe('DpopNonceSource', () => {
  const secret = new Uint8Array(32).fill(1);

  it('accepts the nonce of the current and the previous window only, on the injected clock', () => {
    let now = 1_000_000_000_000;
    const nonces = new DpopNonceSource({ secret, windowS: 300, now: () => now });
    const first = nonces.current();
    expect(first).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(nonces.accepts(first)).toBe(true);
    now += 300_000;
    expect(nonces.current()).not.toBe(first);
    expect(nonces.accepts(first)).toBe(true);
    now += 300_000;
    expect(nonces.accepts(first)).toBe(false);
  });

  it('accepts what another instance with the same secret handed out, and nothing of another secret', () => {
    const now = (): number => 1_000_000_000_000;
    const a = new DpopNonceSource({ secret, windowS: 60, now });
    const b = new DpopNonceSource({ secret, windowS: 60, now });
    const other = new DpopNonceSource({ secret: new Uint8Array(32).fill(2), windowS: 60, now });
    expect(b.accepts(a.current())).toBe(true);
    expect(other.accepts(a.current())).toBe(false);
    for (const bad of [undefined, '', 'x'.repeat(22), `${a.current()}x`]) expect(a.accepts(bad)).toBe(false);
  });

  it('refuses, without throwing, a nonce of 22 characters that is not 22 bytes or not base64url', () => {
    const nonces = new DpopNonceSource({ secret, windowS: 60, now: () => 1_000_000_000_000 });
    for (const bad of ['é'.repeat(22), '\u{1F600}'.repeat(11), `${nonces.current().slice(0, 21)}=`, ' '.repeat(22)])
      expect(nonces.accepts(bad)).toBe(false);
  });

  it('refuses a short secret', () => {
    expect(() => new DpopNonceSource({ secret: new Uint8Array(16), windowS: 60 })).toThrow(TypeError);
  });
});
