import { randomBytes } from 'node:crypto';
import { FORWARDED_FOR_PROOF_HEADER, forwardedForProof } from '@authmesh/platform';
import { OwnedRedis, type TestApp } from '@authmesh/testing';
import { form, post, uniqueEmail } from '../apps/auth/test/auth-fixture.js';
import { startAuth, startGateway } from './gateway/support/gateway-fixture.js';
import { forwardingEnv } from '../apps/suite/src/forwarding-env.js';

const randomAddress = (): string => `198.18.${randomBytes(1)[0]}.${(randomBytes(1)[0]! % 250) + 1}`;

// Auth and the gateway wired as `npm start` wires them (forwardingEnv), over real sockets.
describe('npm start: auth believes X-Forwarded-For only from the gateway (finding 6)', () => {
  const secret = randomBytes(32).toString('base64url');
  const LIMIT = 3;
  let redis: OwnedRedis;
  let auth: TestApp;
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    // A Redis of this file's own: the budget of 127.0.0.1 is otherwise shared with every test file.
    redis = await OwnedRedis.start();
    // startAuth: the gateway's client seeded with the redirect URIs of the gateway it will start.
    auth = await startAuth({ ...forwardingEnv('auth', secret), REDIS_URL: redis.url, AUTH_RATE_LIMIT_PER_MIN: String(LIMIT) });
    // The gateway behind a load balancer on this host (TRUST_PROXY), so the test can be many clients.
    gateway = await startGateway(
      { auth, ordersUrl: 'http://127.0.0.1:9', profilesUrl: 'http://127.0.0.1:9' },
      { ...forwardingEnv('gateway', secret), REDIS_URL: redis.url, TRUST_PROXY: '127.0.0.1', GATEWAY_LOGIN_RATE_PER_MIN: '1000' },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await auth?.close();
    await redis?.stop();
  });

  const badLogin = { email: uniqueEmail('nobody'), password: 'not the password' };

  it('gives a local client sending X-Forwarded-For: <random> straight to auth no fresh budget, with or without a forged proof', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++) {
      const address = randomAddress();
      const headers: Record<string, string> = { 'x-forwarded-for': address };
      // Every other request also carries a proof made with a wrong secret (a forgery).
      if (i % 2) headers[FORWARDED_FOR_PROOF_HEADER] = forwardedForProof('not-the-secret-not-the-secret-!!', address);
      const res = await post(`${auth.url}/auth/login`, badLogin, headers);
      statuses.push(res.status);
      if (res.status === 429) expect(await res.json()).toMatchObject({ code: 'too_many_requests' });
    }
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), ...Array<number>(3).fill(429)]);
  });

  it("sees each real client of requests the gateway forwards (its proof), so one client does not spend the others' budget", async () => {
    // The token endpoint is what the gateway still forwards to auth under auth's per-address budget
    // (it forwards no password route: /auth/login and /auth/register are auth's own, not proxied).
    const [attacker, owner] = [randomAddress(), randomAddress()];
    const badClient = form({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'not the secret' });
    const through = (client: string): Promise<Response> =>
      fetch(`${gateway.url}/oauth/token`, {
        method: 'POST',
        body: badClient.body,
        headers: { ...badClient.headers, 'x-forwarded-for': client },
      });
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await through(attacker)).status);
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), 429]);
    // Another client behind the same gateway still has its whole budget.
    const other = await through(owner);
    expect(other.status).toBe(401);
    expect(await other.json()).toMatchObject({ error: 'invalid_client' });
  });

  it("counts every address of an IPv6 /64 as one client in auth's request budget, as the gateway does", async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= LIMIT + 1; i++) {
      const address = `2001:db8:42:42::${i.toString(16)}`;
      const proof = forwardedForProof(secret, address);
      statuses.push(
        (await post(`${auth.url}/auth/login`, badLogin, { 'x-forwarded-for': address, [FORWARDED_FOR_PROOF_HEADER]: proof })).status,
      );
    }
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), 429]);
  });
});
