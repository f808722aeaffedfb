import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { forwardedForProof } from '@authmesh/platform';
import { type TestApp, waitFor } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { newAuthApp, post, uniqueEmail } from './auth-fixture.js';
import { MailCapture } from './mail-capture.js';

const password = 'correct horse battery';
const PROXY_SECRET = randomBytes(32).toString('base64url');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A refusal's body without its requestId (which differs per request by design). */
async function refusalOf(res: Response): Promise<{ status: number; retryAfter: number; body: string }> {
  const { requestId: _requestId, ...rest } = (await res.json()) as Record<string, unknown>;
  return { status: res.status, retryAfter: Number(res.headers.get('retry-after')), body: JSON.stringify(rest) };
}

/**
 * Issue 12, finding 4 follow-up: a botnet that keeps the account-wide failure cap spent must not
 * stop the owner from logging in from a new address forever. Past the cap, the owner's right
 * password gets the same 429 as a guess, but earns the account's mailbox an unlock message whose
 * token makes that address known. Auth sits behind a proxy that proves each X-Forwarded-For
 * (AUTH_PROXY_SECRET), so each request can come from an address of its own.
 */
describe('auth: unlocking a new address while the account-wide cap is spent', () => {
  let mail: MailCapture;
  let app: TestApp<AuthConfig>;
  beforeAll(async () => {
    mail = await new MailCapture().start();
    app = await newAuthApp({
      AUTH_PROXY_SECRET: PROXY_SECRET,
      AUTH_MAIL_WEBHOOK_URL: mail.url,
      AUTH_LOGIN_MAX_FAILURES: '8',
      AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
    });
  });
  afterAll(async () => {
    await app?.close();
    await mail?.stop();
  });

  const from = (address: string): Record<string, string> => ({
    'x-forwarded-for': address,
    'x-authmesh-forwarded-for-proof': forwardedForProof(PROXY_SECRET, address),
  });
  let n = 0;
  /** A fresh client address (TEST-NET-2 / documentation range). */
  const freshAddress = (): string => `198.51.${100 + Math.floor(n / 250)}.${(n++ % 250) + 1}`;
  const login = (email: string, pw: string, address: string): Promise<Response> =>
    post(`${app.url}/auth/login`, { email, password: pw }, from(address));
  const unlock = (token: unknown, address = freshAddress()): Promise<Response> => post(`${app.url}/auth/unlock`, { token }, from(address));

  async function ownerWithSpentCap(label: string): Promise<string> {
    const email = uniqueEmail(label);
    expect((await post(`${app.url}/auth/register`, { email, password })).status).toBe(202);
    // 8 failures (AUTH_LOGIN_MAX_FAILURES) from 8 addresses spend the account-wide cap.
    for (let i = 0; i < 8; i++) expect((await login(email, `botnet guess ${i}!`, freshAddress())).status).toBe(401);
    return email;
  }

  it("answers the owner's right password past the cap like a wrong one, and sends one unlock message", async () => {
    const email = await ownerWithSpentCap('unlock-same');
    const guesser = freshAddress();
    const owner = freshAddress();
    const wrong = await refusalOf(await login(email, 'a wrong guess past the cap', guesser));
    const right = await refusalOf(await login(email, password, owner));
    expect(wrong.status).toBe(429);
    expect(right.status).toBe(429);
    expect(right.body).toBe(wrong.body);
    expect(JSON.parse(right.body)).toMatchObject({ code: 'too_many_attempts' });
    expect(Math.abs(right.retryAfter - wrong.retryAfter)).toBeLessThanOrEqual(1);
    expect(right.retryAfter).toBeGreaterThan(60);
    await waitFor(() => mail.unlocksTo(email).length >= 1, 3000, 10);
    // Again from the same address: the same 429, but no second message (no mailbox flooding).
    expect((await login(email, password, owner)).status).toBe(429);
    await sleep(300);
    const unlocks = mail.unlocksTo(email);
    expect(unlocks).toHaveLength(1);
    expect(unlocks[0]).toMatchObject({ kind: 'unlock_address', to: email, address: owner });
    expect(unlocks[0]!.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(unlocks[0]!.expiresAt as string) - Date.now()).toBeGreaterThan(800_000); // AUTH_UNLOCK_TOKEN_TTL_S=900
  });

  it('sends no unlock message for a wrong password past the cap', async () => {
    const email = await ownerWithSpentCap('unlock-wrong');
    for (let i = 0; i < 3; i++) expect((await login(email, `wrong past the cap ${i}`, freshAddress())).status).toBe(429);
    await sleep(500);
    expect(mail.unlocksTo(email)).toHaveLength(0);
  });

  it('unlocks the address once: the owner then logs in from it while the cap is still spent', async () => {
    const email = await ownerWithSpentCap('unlock-redeem');
    const owner = freshAddress();
    expect((await login(email, password, owner)).status).toBe(429);
    await waitFor(() => mail.unlocksTo(email).length >= 1, 3000, 10);
    const token = mail.unlocksTo(email)[0]!.token;

    const redeemed = await unlock(token);
    expect(redeemed.status).toBe(200);
    expect(await redeemed.json()).toEqual({ status: 'unlocked' });
    expect((await login(email, password, owner)).status).toBe(200);
    // The cap is still spent for every other new address.
    const elsewhere = await login(email, password, freshAddress());
    expect(elsewhere.status).toBe(429);
    expect(await elsewhere.json()).toMatchObject({ code: 'too_many_attempts' });

    const again = await unlock(token);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ code: 'unlock_token_invalid' });
  });

  it('refuses an expired token with 400 unlock_token_invalid, and the address stays held by the cap', async () => {
    const email = await ownerWithSpentCap('unlock-expired');
    const owner = freshAddress();
    expect((await login(email, password, owner)).status).toBe(429);
    await waitFor(() => mail.unlocksTo(email).length >= 1, 3000, 10);
    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `UPDATE unlock_tokens SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT id FROM users WHERE email = $1)`,
        [email],
      );
    } finally {
      await db.end();
    }
    const expired = await unlock(mail.unlocksTo(email)[0]!.token);
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ code: 'unlock_token_invalid' });
    expect((await login(email, password, owner)).status).toBe(429);
  });

  it('refuses a wrong token with 400 unlock_token_invalid, and a malformed one naming the field', async () => {
    const wrong = await unlock(randomBytes(32).toString('base64url'));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ code: 'unlock_token_invalid' });
    const malformed = await unlock('not a token');
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(await malformed.json())).toContain('token');
  });
});
