import { TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import type { AuthAnswer, AuthClient } from '../auth-client/auth-client.js';
import { DpopKey } from '@authmesh/service-auth';
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

  describe('DPoP-bound subject tokens (docs/decisions/010)', () => {
    /** A fake auth that records whether a proof came with the exchange, answering DPoP to a proof. */
    function dpopAuth(): { client: AuthClient; proofs: (string | undefined)[] } {
      const proofs: (string | undefined)[] = [];
      const client = {
        tokenEndpoint: 'http://auth.internal/oauth/token',
        exchange: async (_s: string, _a: string, _c: unknown, dpop?: (nonce: string | undefined) => Promise<string>) => {
          const proof = dpop ? await dpop(undefined) : undefined;
          proofs.push(proof);
          const answer = ok(proof ? 'bound-to-gateway' : 'bearer');
          (answer.body as { token_type: string }).token_type = proof ? 'DPoP' : 'Bearer';
          return answer;
        },
      } as unknown as AuthClient;
      return { client, proofs };
    }

    it('never serves a DPoP exchange to a Bearer request or the other way round (the binding is in the cache key)', async () => {
      const auth = dpopAuth();
      const ex = new TokenExchanger(auth.client, { now: clock, dpopKey: await DpopKey.generate() });
      expect(await ex.exchange('same', subjectExp(), 'orders', ctx, 'dpop')).toBe('bound-to-gateway');
      expect(await ex.exchange('same', subjectExp(), 'orders', ctx, 'bearer')).toBe('bearer');
      expect(await ex.exchange('same', subjectExp(), 'orders', ctx, 'dpop')).toBe('bound-to-gateway');
      expect(auth.proofs.map((p) => p !== undefined)).toEqual([true, false]);
    });

    it("sends the gateway's proof for auth's token endpoint", async () => {
      const auth = dpopAuth();
      const key = await DpopKey.generate();
      await new TokenExchanger(auth.client, { now: clock, dpopKey: key }).exchange('u', subjectExp(), 'orders', ctx, 'dpop');
      const [header, payload] = auth.proofs[0]!.split('.')
        .slice(0, 2)
        .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
      expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
      expect(payload).toMatchObject({ htm: 'POST', htu: 'http://auth.internal/oauth/token' });
    });

    it('fails closed (502) when auth answers a DPoP exchange with a bearer token', async () => {
      const ex = new TokenExchanger(fakeAuth(() => ok('bearer-only')).client, { now: clock, dpopKey: await DpopKey.generate() });
      await expect(ex.exchange('u', subjectExp(), 'orders', ctx, 'dpop')).rejects.toMatchObject({ code: 'token_exchange_failed' });
    });
  });
});
