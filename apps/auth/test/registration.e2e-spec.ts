import pg from 'pg';
import type { TestApp } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { newAuthApp, post, uniqueEmail } from './auth-fixture.js';
import { MailCapture } from './mail-capture.js';

const password = 'correct horse battery';

async function answer(res: Response): Promise<{ status: number; text: string }> {
  return { status: res.status, text: await res.text() };
}

// Finding 7 of the security review: registration told who has an account (409 email_taken).
describe('auth: registration answers the same for every address and finishes out of band', () => {
  let mail: MailCapture;
  let app: TestApp<AuthConfig>;
  let strict: TestApp<AuthConfig>;

  beforeAll(async () => {
    mail = await new MailCapture().start();
    app = await newAuthApp({ AUTH_MAIL_WEBHOOK_URL: mail.url });
    strict = await newAuthApp({ AUTH_MAIL_WEBHOOK_URL: mail.url, AUTH_EMAIL_VERIFICATION: 'required' });
  });
  afterAll(async () => {
    await strict?.close();
    await app?.close();
    await mail?.stop();
  });

  const register = (at: TestApp, email: string, pw = password): Promise<Response> =>
    post(`${at.url}/auth/register`, { email, password: pw });
  const login = (at: TestApp, email: string, pw = password): Promise<Response> => post(`${at.url}/auth/login`, { email, password: pw });
  const verify = (at: TestApp, token: unknown): Promise<Response> => post(`${at.url}/auth/verify-email`, { token });

  it('answers a known and an unknown address with the same status and body, in comparable time', async () => {
    const known = uniqueEmail('known');
    expect((await register(app, known)).status).toBe(202);
    const time = async (email: string): Promise<[number, string, number]> => {
      const t = performance.now();
      const res = await answer(await register(app, email, 'a different long passphrase'));
      return [res.status, res.text, performance.now() - t];
    };
    const knownTimes: number[] = [];
    const newTimes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const a = await time(known);
      const b = await time(uniqueEmail('fresh'));
      expect(a.slice(0, 2)).toEqual([202, '{"status":"accepted"}']);
      expect(b.slice(0, 2)).toEqual(a.slice(0, 2));
      knownTimes.push(a[2]);
      newTimes.push(b[2]);
    }
    const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    // Both branches hash the password with argon2id; skipping it for a known address would make it ~10x faster.
    expect(median(knownTimes)).toBeGreaterThan(median(newTimes) * 0.4);
    // Nothing changed on the known account: its password is still the first one.
    expect((await login(app, known)).status).toBe(200);
    expect((await login(app, known, 'a different long passphrase')).status).toBe(401);
  });

  it('sends the webhook a verification message for a new address and a notice for a known one, never a password', async () => {
    const email = uniqueEmail('webhook');
    await register(app, email);
    const [first] = await mail.to(email);
    expect(first).toEqual({
      kind: 'verify_email',
      to: email,
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
    });
    await register(app, email.toUpperCase(), 'someone else passphrase');
    const messages = await mail.to(email, 2);
    expect(messages[1]).toEqual({ kind: 'registration_attempt', to: email });
    expect(JSON.stringify(mail.messages)).not.toMatch(/correct horse battery|someone else passphrase/);
  });

  it('AUTH_EMAIL_VERIFICATION=off (default): a new account logs in before verifying', async () => {
    const email = uniqueEmail('off');
    await register(app, email);
    expect((await login(app, email)).status).toBe(200);
  });

  it('AUTH_EMAIL_VERIFICATION=required: login waits for the verification; a wrong password still looks like any wrong password', async () => {
    const email = uniqueEmail('required');
    expect((await register(strict, email)).status).toBe(202);
    const blocked = await login(strict, email);
    expect(blocked.status).toBe(403);
    expect(await blocked.json()).toMatchObject({ code: 'email_unverified' });
    const wrong = await answer(await login(strict, email, 'not the password at all'));
    const nobody = await answer(await login(strict, uniqueEmail('nobody'), 'not the password at all'));
    expect(wrong.status).toBe(401);
    expect(wrong.text.replace(/"requestId":"[^"]+"/, '')).toBe(nobody.text.replace(/"requestId":"[^"]+"/, ''));

    const [message] = await mail.to(email);
    const verified = await verify(strict, message!.token);
    expect(verified.status).toBe(200);
    expect(await verified.json()).toEqual({ status: 'verified' });
    expect((await login(strict, email)).status).toBe(200);
  });

  it('a verification token works once; an unknown or malformed one is refused', async () => {
    const email = uniqueEmail('once');
    await register(strict, email);
    const [message] = await mail.to(email);
    expect((await verify(strict, message!.token)).status).toBe(200);
    const again = await verify(strict, message!.token);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ code: 'verification_token_invalid' });
    const unknown = await verify(strict, 'A'.repeat(43));
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ code: 'verification_token_invalid' });
    const malformed = await verify(strict, { $ne: null });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'validation_failed', details: { fields: [{ field: 'token' }] } });
  });

  it('an expired verification token is refused; logging in with the right password sends a fresh one (at most one a minute)', async () => {
    const email = uniqueEmail('expired');
    await register(strict, email);
    const [first] = await mail.to(email);
    // A login right after registering sends nothing new: a token went out less than a minute ago.
    expect((await login(strict, email)).status).toBe(403);
    await new Promise((r) => setTimeout(r, 300));
    expect(mail.messages.filter((m) => m.to === email)).toHaveLength(1);

    const db = new pg.Client({ connectionString: strict.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `UPDATE email_verification_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second'
         WHERE user_id = (SELECT id FROM users WHERE email = $1)`,
        [email],
      );
    } finally {
      await db.end();
    }
    const res = await verify(strict, first!.token);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'verification_token_invalid' });

    const blocked = await login(strict, email);
    expect(blocked.status).toBe(403);
    expect(await blocked.json()).toMatchObject({ code: 'email_unverified' });
    const [, fresh] = await mail.to(email, 2);
    expect(fresh).toMatchObject({ kind: 'verify_email', to: email });
    expect(fresh!.token).not.toBe(first!.token);
    // A wrong password sends nothing (only whoever knows the password may ask for a token).
    expect((await login(strict, email, 'not the password at all')).status).toBe(401);
    expect((await verify(strict, fresh!.token)).status).toBe(200);
    expect((await login(strict, email)).status).toBe(200);
    expect(mail.messages.filter((m) => m.to === email)).toHaveLength(2);
  });
});
