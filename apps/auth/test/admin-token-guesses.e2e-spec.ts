import type { TestApp } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { newAuthApp, post } from './auth-fixture.js';

const ADMIN = { email: 'admin-guesses@example.com', password: 'admin long passphrase' };

/**
 * `POST /auth/admin-token` re-checks the password with the caller's login token, like
 * `POST /auth/password`: a stolen login token must not become a password oracle. Each token gets
 * AUTH_PASSWORD_MAX_FAILURES_PER_TOKEN wrong passwords; the last one revokes it.
 */
describe('auth: the admin step revokes a token that keeps guessing the password', () => {
  let app: TestApp<AuthConfig>;
  beforeAll(async () => {
    app = await newAuthApp({ AUTH_SEED_ADMIN_EMAIL: ADMIN.email, AUTH_SEED_ADMIN_PASSWORD: ADMIN.password });
  });
  afterAll(() => app?.close());

  const loginToken = async (): Promise<string> => {
    let res = await post(`${app.url}/auth/login`, ADMIN);
    // After wrong guesses from this address, its next attempt waits (the pair's growing delay).
    if (res.status === 429) {
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after')) * 1000 + 100));
      res = await post(`${app.url}/auth/login`, ADMIN);
    }
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const step = (token: string, password: string): Promise<Response> =>
    post(`${app.url}/auth/admin-token`, { password }, { authorization: `Bearer ${token}` });

  it('answers 5 wrong passwords with 401 invalid_credentials, then refuses the token itself (401 token_revoked), even with the right one', async () => {
    const token = await loginToken();
    for (let i = 0; i < 5; i++) {
      const res = await step(token, `wrong guess ${i}!`);
      expect({ status: res.status, body: (await res.json()) as unknown }).toMatchObject({
        status: 401,
        body: { code: 'invalid_credentials' },
      });
    }
    const next = await step(token, ADMIN.password);
    expect({ status: next.status, body: (await next.json()) as unknown }).toMatchObject({ status: 401, body: { code: 'token_revoked' } });
    // The owner logs in again (once this address's wait is over) and takes the step with a new token.
    const fresh = await step(await loginToken(), ADMIN.password);
    expect(fresh.status).toBe(200);
  });

  it('gives the allowance back when the password was right: one token may take the step again and again', async () => {
    const token = await loginToken();
    const ok = await step(token, ADMIN.password);
    expect(ok.status).toBe(200);
    for (let i = 0; i < 6; i++) expect((await step(token, ADMIN.password)).status).toBe(200);
  });
});
