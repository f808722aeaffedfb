import { randomBytes } from 'node:crypto';
import { forwardedForProof } from '@authmesh/platform';
import type { TestApp } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { newAuthApp, post, uniqueEmail } from './auth-fixture.js';

const password = 'correct horse battery';
const PROXY_SECRET = randomBytes(32).toString('base64url');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Password guessing against auth over HTTP, from many client addresses: auth sits behind a proxy
 * that proves each X-Forwarded-For it sends (AUTH_PROXY_SECRET), as the gateway does, so each
 * request below can come from an address of its own.
 */
describe('auth: guessing limits (login, password change)', () => {
  let app: TestApp<AuthConfig>;
  beforeAll(async () => {
    app = await newAuthApp({
      AUTH_PROXY_SECRET: PROXY_SECRET,
      AUTH_LOGIN_DELAY_S: '2',
      AUTH_LOGIN_MAX_FAILURES: '8',
      AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
    });
  });
  afterAll(() => app?.close());

  const from = (address: string): Record<string, string> => ({
    'x-forwarded-for': address,
    'x-authmesh-forwarded-for-proof': forwardedForProof(PROXY_SECRET, address),
  });
  let n = 0;
  /** A fresh client address (TEST-NET-3 / documentation ranges). */
  const freshAddress = (): string => `203.0.${113 + Math.floor(n / 250)}.${(n++ % 250) + 1}`;
  const login = (email: string, pw: string, address: string): Promise<Response> =>
    post(`${app.url}/auth/login`, { email, password: pw }, from(address));
  async function newUser(label: string): Promise<string> {
    const email = uniqueEmail(label);
    expect((await post(`${app.url}/auth/register`, { email, password })).status).toBe(202);
    return email;
  }

  describe('login (finding 4: nobody can lock an account)', () => {
    it("does not let an attacker's failures from one address stop the owner's right password from another", async () => {
      const email = await newUser('lockout');
      const attacker = freshAddress();
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await login(email, `guess number ${i}!`, attacker)).status);
      // The attacker's own address is slowed down after 5 consecutive failures…
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
      const refused = await login(email, password, attacker);
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ code: 'too_many_attempts' });
      // …but the owner, elsewhere, is not.
      expect((await login(email, password, freshAddress())).status).toBe(200);
    });

    it('makes each further attempt from that address wait longer: Retry-After grows with consecutive failures', async () => {
      const email = await newUser('delays');
      const attacker = freshAddress();
      for (let i = 0; i < 5; i++) expect((await login(email, `guess number ${i}!`, attacker)).status).toBe(401);
      const waits: number[] = [];
      for (let round = 0; round < 3; round++) {
        const refused = await login(email, `guess r${round}!`, attacker);
        expect(refused.status).toBe(429);
        expect(await refused.json()).toMatchObject({ code: 'too_many_attempts' });
        const wait = Number(refused.headers.get('retry-after'));
        waits.push(wait);
        await sleep(wait * 1000 + 100);
        expect((await login(email, `guess after ${round}!`, attacker)).status).toBe(401);
      }
      expect(waits).toEqual([2, 4, 8]);
    });

    it('holds the account-wide cap against many addresses, while an address the owner logged in from still gets in', async () => {
      const email = await newUser('botnet');
      const home = freshAddress();
      expect((await login(email, password, home)).status).toBe(200); // the owner's known address
      // 8 failures (AUTH_LOGIN_MAX_FAILURES) from 8 addresses spend the account-wide cap…
      for (let i = 0; i < 8; i++) expect((await login(email, `botnet guess ${i}!`, freshAddress())).status).toBe(401);
      // …and no further address gets a guess, however many there are (the right password included).
      const more = await Promise.all(Array.from({ length: 20 }, (_, i) => login(email, `botnet more ${i}!`, freshAddress())));
      expect(more.map((r) => r.status)).toEqual(Array<number>(20).fill(429));
      const fresh = await login(email, password, freshAddress());
      expect(fresh.status).toBe(429);
      expect(await fresh.json()).toMatchObject({ code: 'too_many_attempts' });
      expect(Number(fresh.headers.get('retry-after'))).toBeGreaterThan(0);
      // The owner's known address is not held by the cap.
      expect((await login(email, password, home)).status).toBe(200);
    });

    it('counts every address of one IPv6 /64 as one client (finding 6: one client-key rule)', async () => {
      const email = await newUser('v6');
      for (let i = 0; i < 5; i++) expect((await login(email, `v6 guess ${i}!`, `2001:db8:7:7::${i + 1}`)).status).toBe(401);
      const sameSlash64 = await login(email, 'v6 guess 6!', '2001:db8:7:7:ffff:ffff:ffff:ffff');
      expect(sameSlash64.status).toBe(429);
      expect(await sameSlash64.json()).toMatchObject({ code: 'too_many_attempts' });
      expect((await login(email, password, '2001:db8:7:8::1')).status).toBe(200);
    });
  });

  describe('POST /auth/password (finding 2)', () => {
    const change = (token: string, currentPassword: string, address: string): Promise<Response> =>
      post(
        `${app.url}/auth/password`,
        { currentPassword, newPassword: 'a brand new passphrase' },
        {
          authorization: `Bearer ${token}`,
          ...from(address),
        },
      );
    async function tokenFor(email: string, address: string): Promise<string> {
      const res = await login(email, password, address);
      expect(res.status).toBe(200);
      return ((await res.json()) as { access_token: string }).access_token;
    }

    it('revokes the presenting token after 5 wrong current passwords: the next call is 401 token_revoked', async () => {
      const email = await newUser('pw-token');
      const address = freshAddress();
      const token = await tokenFor(email, address);
      for (let i = 0; i < 5; i++) {
        const res = await change(token, `wrong current ${i}!`, address);
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ code: 'invalid_credentials' });
      }
      const next = await change(token, password, address);
      expect(next.status).toBe(401);
      expect(await next.json()).toMatchObject({ code: 'token_revoked' });
      // The owner logs in again (from elsewhere) and the password is unchanged.
      expect((await login(email, password, freshAddress())).status).toBe(200);
    });

    it("spends login's budgets: failed logins from an address make the password check from it wait too", async () => {
      const email = await newUser('pw-shared');
      const address = freshAddress();
      const token = await tokenFor(email, address);
      for (let i = 0; i < 5; i++) expect((await login(email, `login guess ${i}!`, address)).status).toBe(401);
      const res = await change(token, password, address);
      expect(res.status).toBe(429);
      expect(await res.json()).toMatchObject({ code: 'too_many_attempts' });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('still changes the password with the right current one', async () => {
      const email = await newUser('pw-ok');
      const address = freshAddress();
      const token = await tokenFor(email, address);
      expect((await change(token, 'one wrong guess!', address)).status).toBe(401);
      expect((await change(token, password, address)).status).toBe(200);
      expect((await login(email, 'a brand new passphrase', address)).status).toBe(200);
    });
  });
});
