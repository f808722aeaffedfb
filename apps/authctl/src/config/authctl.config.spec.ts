import { ConfigInvalidError } from '../cli/errors.js';
import { ConfigSource, loadAuthctlConfig, type ReadOptionalFile } from './authctl.config.js';

const noFile: ReadOptionalFile = () => undefined;
const SECRET = 'a-secret-that-must-never-be-echoed';

function problemsOf(env: Record<string, string>, readFile: ReadOptionalFile = noFile): readonly string[] {
  try {
    loadAuthctlConfig(env, readFile);
  } catch (e) {
    if (e instanceof ConfigInvalidError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigInvalidError');
}

describe('authctl configuration', () => {
  it('applies the documented defaults (auth on 127.0.0.1:3001, client authctl, 10 s timeout)', () => {
    expect(loadAuthctlConfig({ AUTHCTL_CLIENT_SECRET: SECRET }, noFile)).toEqual({
      authUrl: 'http://127.0.0.1:3001',
      clientId: 'authctl',
      clientSecret: SECRET,
      timeoutMs: 10000,
      secretSource: 'AUTHCTL_CLIENT_SECRET',
    });
  });

  it('strips a trailing slash from AUTH_URL', () => {
    expect(loadAuthctlConfig({ AUTH_URL: 'https://auth.example.com/', AUTHCTL_CLIENT_SECRET: SECRET }, noFile).authUrl).toBe(
      'https://auth.example.com',
    );
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({ AUTH_URL: 'ftp://x', AUTHCTL_CLIENT_ID: 'a b', AUTHCTL_TIMEOUT_MS: '5', AUTHCTL_CLIENT_SECRET: SECRET });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['AUTH_URL', 'AUTHCTL_CLIENT_ID', 'AUTHCTL_TIMEOUT_MS']);
  });

  it('requires AUTHCTL_CLIENT_SECRET when the suite file does not exist, and says where it looked', () => {
    expect(problemsOf({ AUTHMESH_DATA_DIR: '/nowhere' })).toEqual([
      'AUTHCTL_CLIENT_SECRET: is required (no /nowhere/suite-clients.json to read it from)',
    ]);
  });

  it("defaults the secret to the client's entry of <AUTHMESH_DATA_DIR>/suite-clients.json (what npm start writes)", () => {
    const files: Record<string, string> = {
      '/data/suite-clients.json': JSON.stringify([
        // npm start's orders is a private_key_jwt client: a jwks entry, no secret.
        { clientId: 'orders', jwks: { keys: [{ kty: 'EC', kid: 'orders-1' }] }, scopes: [], audiences: ['profiles'] },
        { clientId: 'authctl', secret: SECRET, scopes: ['auth:admin'], audiences: ['auth'] },
      ]),
    };
    const config = loadAuthctlConfig({ AUTHMESH_DATA_DIR: '/data' }, (p) => files[p]);
    expect(config).toMatchObject({ clientId: 'authctl', clientSecret: SECRET, secretSource: '/data/suite-clients.json' });
    expect(problemsOf({ AUTHMESH_DATA_DIR: '/data', AUTHCTL_CLIENT_ID: 'orders' }, (p) => files[p])).toEqual([
      'AUTHCTL_CLIENT_SECRET: is required (/data/suite-clients.json gives client "orders" keys (private_key_jwt), not a secret)',
    ]);
  });

  it('an explicit AUTHCTL_CLIENT_SECRET wins over the suite file', () => {
    const read = (): string => JSON.stringify([{ clientId: 'authctl', secret: 'from-file' }]);
    expect(loadAuthctlConfig({ AUTHCTL_CLIENT_SECRET: SECRET, AUTHMESH_DATA_DIR: '/data' }, read).clientSecret).toBe(SECRET);
  });

  it('explains a suite file without an entry for the client, or that is not JSON', () => {
    const read = (): string => JSON.stringify([{ clientId: 'orders', secret: 'x' }]);
    expect(problemsOf({ AUTHMESH_DATA_DIR: '/d', AUTHCTL_CLIENT_ID: 'ops' }, read)).toEqual([
      'AUTHCTL_CLIENT_SECRET: is required (/d/suite-clients.json has no entry for client "ops")',
    ]);
    expect(problemsOf({ AUTHMESH_DATA_DIR: '/d' }, () => '{oops')).toEqual([
      'AUTHCTL_CLIENT_SECRET: is required (/d/suite-clients.json is not valid JSON)',
    ]);
  });

  it('never echoes a URL carrying credentials', () => {
    const problems = problemsOf({ AUTH_URL: 'ftp://admin:hunter2@auth', AUTHCTL_CLIENT_SECRET: SECRET });
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('is read once, on first use', () => {
    let reads = 0;
    const source = new ConfigSource({ AUTHMESH_DATA_DIR: '/d' }, () => {
      reads += 1;
      return JSON.stringify([{ clientId: 'authctl', secret: SECRET }]);
    });
    expect(reads).toBe(0);
    expect(source.get()).toBe(source.get());
    expect(reads).toBe(1);
  });
});
