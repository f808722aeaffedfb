import type { TestApp } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { newAuthApp, post, uniqueEmail } from './auth-fixture.js';

const password = 'correct horse battery';

// A burst of password checks beyond AUTH_HASH_CONCURRENCY + AUTH_HASH_QUEUE is refused at once
// (503 hashing_busy, Retry-After) instead of piling up on libuv's thread pool (finding 6).
describe('auth: bounded password hashing', () => {
  let app: TestApp<AuthConfig>;
  beforeAll(async () => {
    app = await newAuthApp({ AUTH_HASH_CONCURRENCY: '1', AUTH_HASH_QUEUE: '2' });
  });
  afterAll(() => app?.close());

  it('answers a burst of concurrent logins beyond the queue with 503 + Retry-After (never a 500), then serves honest requests', async () => {
    const email = uniqueEmail('burst-owner');
    expect((await post(`${app.url}/auth/register`, { email, password })).status).toBe(202);
    const burst = await Promise.all(
      Array.from({ length: 24 }, async () => {
        const res = await post(`${app.url}/auth/login`, { email: uniqueEmail('burst'), password: 'not the password' });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { code: string } };
      }),
    );
    const busy = burst.filter((r) => r.status === 503);
    expect(burst.every((r) => r.status === 401 || r.status === 503)).toBe(true);
    expect(busy.length).toBeGreaterThan(0);
    expect(burst.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(3); // one running + two queued
    for (const r of busy) {
      expect(r.body.code).toBe('hashing_busy');
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // After the burst, honest requests go through.
    expect((await post(`${app.url}/auth/login`, { email, password })).status).toBe(200);
    expect((await post(`${app.url}/auth/register`, { email: uniqueEmail('after-burst'), password })).status).toBe(202);
  });
});
