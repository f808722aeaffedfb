import { RefusedInputError, UsageError } from './errors.js';
import { collectWords, parseNewClient, parseReason, parseRevocation, refuseDisablingSelf } from './arguments.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const nowS = NOW.getTime() / 1000;

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('revoke arguments', () => {
  it('takes --jti with --exp (seconds) or --sub', () => {
    expect(parseRevocation({ jti: 'abc-123', exp: String(nowS + 300) }, NOW)).toEqual({ jti: 'abc-123', exp: nowS + 300 });
    expect(parseRevocation({ sub: ' 0b6f9a52-3c4e-4a8e-9d7b-2f1e5c6d7a8b ' }, NOW)).toEqual({
      sub: '0b6f9a52-3c4e-4a8e-9d7b-2f1e5c6d7a8b',
    });
  });

  it('refuses both or neither of --jti/--sub', () => {
    expect(usageMessage(() => parseRevocation({ jti: 'a', exp: '1', sub: 'x' }, NOW))).toMatch(/not both/);
    expect(usageMessage(() => parseRevocation({}, NOW))).toMatch(/either --jti .* or --sub/);
  });

  it('refuses --jti without --exp, and --exp without --jti', () => {
    expect(usageMessage(() => parseRevocation({ jti: 'a' }, NOW))).toMatch(/--jti needs --exp/);
    expect(usageMessage(() => parseRevocation({ exp: '1' }, NOW))).toMatch(/--exp goes with --jti/);
  });

  it('refuses an --exp that is not a Unix time in seconds', () => {
    expect(usageMessage(() => parseRevocation({ jti: 'a', exp: 'tomorrow' }, NOW))).toMatch(/Unix time in seconds/);
    expect(usageMessage(() => parseRevocation({ jti: 'a', exp: '-5' }, NOW))).toMatch(/Unix time in seconds/);
    expect(usageMessage(() => parseRevocation({ jti: 'a', exp: String(NOW.getTime()) }, NOW))).toMatch(/looks like milliseconds/);
    expect(usageMessage(() => parseRevocation({ jti: 'a', exp: String(nowS + 3 * 86400) }, NOW))).toMatch(/more than a day away/);
  });

  it('refuses a jti auth would refuse', () => {
    expect(usageMessage(() => parseRevocation({ jti: 'has space', exp: String(nowS) }, NOW))).toMatch(/--jti must be/);
  });
});

describe('--reason', () => {
  it('is required where the command says so, and never blank', () => {
    expect(usageMessage(() => parseReason(undefined, true))).toMatch(/--reason <text> is required/);
    expect(parseReason(undefined, false)).toBeUndefined();
    expect(usageMessage(() => parseReason('   ', false))).toMatch(/must not be blank/);
    expect(usageMessage(() => parseReason('x'.repeat(501), true))).toMatch(/at most 500/);
    expect(parseReason('  key leaked in a log  ', true)).toBe('key leaked in a log');
  });
});

describe('clients create arguments', () => {
  const ok = { scope: ['orders:read'], audience: ['orders'] };

  it('collects repeated and space-separated values', () => {
    expect(collectWords('b c', collectWords('a', undefined))).toEqual(['a', 'b', 'c']);
  });

  it('builds a code-flow client: repeatable --redirect-uri, --post-logout-redirect-uri, --public (auth method none), --first-party', () => {
    const ok = { scope: ['openid'], audience: ['orders'] };
    expect(
      parseNewClient('mobile', {
        ...ok,
        redirectUri: ['http://127.0.0.1:7777/cb', 'https://app.example.com/cb', 'http://127.0.0.1:7777/cb'],
        postLogoutRedirectUri: ['https://app.example.com/'],
        public: true,
      }),
    ).toEqual({
      clientId: 'mobile',
      scopes: ['openid'],
      audiences: ['orders'],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'none',
      redirectUris: ['http://127.0.0.1:7777/cb', 'https://app.example.com/cb'],
      postLogoutRedirectUris: ['https://app.example.com/'],
    });
    expect(
      parseNewClient('web', { ...ok, grantType: ['authorization_code'], redirectUri: ['https://web.example.com/cb'], firstParty: true }),
    ).toEqual({
      clientId: 'web',
      scopes: ['openid'],
      audiences: ['orders'],
      grantTypes: ['authorization_code'],
      redirectUris: ['https://web.example.com/cb'],
      firstParty: true,
    });
    expect(parseNewClient('svc', { ...ok, dpopBound: true })).toMatchObject({ clientId: 'svc', dpopBoundAccessTokens: true });
    expect(parseNewClient('svc', ok)).not.toHaveProperty('dpopBoundAccessTokens');
    expect(usageMessage(() => parseNewClient('x', { ...ok, redirectUri: ['/cb'] }))).toMatch(
      /--redirect-uri "\/cb" is not an absolute URI/,
    );
    expect(usageMessage(() => parseNewClient('x', { ...ok, postLogoutRedirectUri: ['nope'] }))).toMatch(
      /--post-logout-redirect-uri "nope" is not an absolute URI/,
    );
  });

  it('builds the API body, dropping duplicates', () => {
    expect(parseNewClient('billing', { scope: ['a:r', 'a:r'], audience: ['orders'], grantType: ['client_credentials'] })).toEqual({
      clientId: 'billing',
      scopes: ['a:r'],
      audiences: ['orders'],
      grantTypes: ['client_credentials'],
    });
  });

  it('refuses a bad client id, scope, audience or grant type', () => {
    expect(usageMessage(() => parseNewClient('bad id', ok))).toMatch(/client id must be/);
    expect(usageMessage(() => parseNewClient('x', { ...ok, scope: ['quo"te'] }))).toMatch(/not an RFC 6749 scope token/);
    expect(usageMessage(() => parseNewClient('x', { ...ok, scope: [] }))).toMatch(/--scope .* is required/);
    expect(usageMessage(() => parseNewClient('x', { scope: ['a'] }))).toMatch(/--audience .* is required/);
    expect(usageMessage(() => parseNewClient('x', { ...ok, grantType: ['password'] }))).toMatch(/--grant-type "password" is not one of/);
  });

  it('reads --jwks FILE into the body (a private_key_jwt client) and refuses a file holding a private key', () => {
    const publicKey = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' };
    const files: Record<string, string> = {
      'pub.json': JSON.stringify({ keys: [publicKey] }),
      'priv.json': JSON.stringify({ keys: [{ ...publicKey, d: 'secret-scalar' }] }),
      'bad.json': '{ nope',
    };
    const read = (path: string): string => {
      if (!(path in files)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return files[path]!;
    };
    expect(parseNewClient('billing', { ...ok, jwks: 'pub.json' }, read)).toEqual({
      clientId: 'billing',
      scopes: ['orders:read'],
      audiences: ['orders'],
      jwks: { keys: [publicKey] },
    });
    expect(usageMessage(() => parseNewClient('x', { ...ok, jwks: 'priv.json' }, read))).toMatch(
      /private key material \(d\); register the PUBLIC/,
    );
    expect(usageMessage(() => parseNewClient('x', { ...ok, jwks: 'bad.json' }, read))).toMatch(/not JSON/);
    expect(usageMessage(() => parseNewClient('x', { ...ok, jwks: 'missing.json' }, read))).toMatch(/cannot read it \(ENOENT\)/);
  });
});

describe('clients disable', () => {
  it('refuses to disable the client authctl runs as (it would lock every later command out)', () => {
    expect(() => refuseDisablingSelf('authctl', 'authctl')).toThrow(RefusedInputError);
    expect(() => refuseDisablingSelf('billing', 'authctl')).not.toThrow();
  });
});
