import { TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import type { AuthAnswer, AuthClient } from '../auth-client/auth-client.js';
import { TokenExchanger } from './token-exchanger.js';

const ctx = { requestId: 'r', forwardedFor: '127.0.0.1', forwardedProto: 'http', forwardedHost: 'gw' };

/** An injected fake of auth's exchange endpoint (the e2e tests use the real one). */
function fakeAuth(answer: () => AuthAnswer): { client: AuthClient; calls: string[] } {
  const calls: string[] = [];
  const client = {
    exchange: async (subject: string, audience: string) => {
      calls.push(`${subject}->${audience}`);
      await new Promise((r) => setTimeout(r, 5));
      return answer();
    },
  } as unknown as AuthClient;
  return { client, calls };
}

const ok = (token: string, expiresIn = 300): AuthAnswer => ({
  status: 200,
  headers: {},
  body: {
    access_token: token,
    token_type: 'Bearer',
    expires_in: expiresIn,
    issued_token_type: TOKEN_TYPE_ACCESS_TOKEN,
  },
});

describe('TokenExchanger', () => {
  let now = 1_000_000_000_000;
  const clock = (): number => now;
  const subjectExp = (): number => now / 1000 + 300;

  it('shares one exchange between concurrent callers and serves later ones from the cache', async () => {
    const auth = fakeAuth(() => ok('exchanged'));
    const ex = new TokenExchanger(auth.client, { now: clock });
    const tokens = await Promise.all(Array.from({ length: 5 }, () => ex.exchange('user', subjectExp(), 'orders', ctx)));
    expect(tokens).toEqual(Array(5).fill('exchanged'));
    expect(await ex.exchange('user', subjectExp(), 'orders', ctx)).toBe('exchanged');
    expect(auth.calls).toEqual(['user->orders']);
  });

  it('keys the cache by subject token and audience', async () => {
    const auth = fakeAuth(() => ok('t'));
    const ex = new TokenExchanger(auth.client, { now: clock });
    await ex.exchange('user', subjectExp(), 'orders', ctx);
    await ex.exchange('user', subjectExp(), 'profiles', ctx);
    await ex.exchange('other', subjectExp(), 'orders', ctx);
    expect(auth.calls).toHaveLength(3);
  });

  it('maps invalid_grant to a 401 and other refusals to a 502', async () => {
    const refused = new TokenExchanger(fakeAuth(() => ({ status: 400, headers: {}, body: { error: 'invalid_grant' } })).client, {
      now: clock,
    });
    await expect(refused.exchange('u', subjectExp(), 'orders', ctx)).rejects.toMatchObject({ status: 401, code: 'token_exchange_refused' });
    const misconfigured = new TokenExchanger(fakeAuth(() => ({ status: 400, headers: {}, body: { error: 'invalid_target' } })).client, {
      now: clock,
    });
    await expect(misconfigured.exchange('u', subjectExp(), 'orders', ctx)).rejects.toMatchObject({
      status: 502,
      code: 'token_exchange_failed',
    });
  });

  it('does not cache past the subject token’s own expiry', async () => {
    now = 2_000_000_000_000;
    const auth = fakeAuth(() => ok('t', 300));
    const ex = new TokenExchanger(auth.client, { now: clock });
    // The subject token expires now: the exchanged token must not be served after it.
    await ex.exchange('short-lived', now / 1000, 'orders', ctx);
    await ex.exchange('short-lived', now / 1000, 'orders', ctx);
    expect(auth.calls).toHaveLength(2);
  });
});
