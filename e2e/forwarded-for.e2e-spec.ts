import { randomBytes } from 'node:crypto';
import { FORWARDED_FOR_PROOF_HEADER, forwardedForProof } from '@authmesh/platform';
import { OwnedRedis, type TestApp } from '@authmesh/testing';
import { newAuthApp, post, uniqueEmail } from '../apps/auth/test/auth-fixture.js';
import { startGateway } from './gateway/support/gateway-fixture.js';
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
    auth = await newAuthApp({ ...forwardingEnv('auth', secret), REDIS_URL: redis.url, AUTH_RATE_LIMIT_PER_MIN: String(LIMIT) });
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
    const [attacker, owner] = [randomAddress(), randomAddress()];
    const through = (client: string, body: unknown): Promise<Response> =>
      post(`${gateway.url}/auth/login`, body, { 'x-forwarded-for': client });
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await through(attacker, badLogin)).status);
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), 429]);
    const email = uniqueEmail('owner');
    expect(
      (await post(`${gateway.url}/auth/register`, { email, password: 'correct horse battery' }, { 'x-forwarded-for': owner })).status,
    ).toBe(202);
    expect((await through(owner, { email, password: 'correct horse battery' })).status).toBe(200);
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
