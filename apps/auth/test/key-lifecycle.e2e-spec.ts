import type { KeyEventView, KeyView } from '@authmesh/contracts';
import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { newTestApp, type TestApp } from '@authmesh/testing';
import { authApp } from '../src/auth.app.js';
import type { AuthConfig } from '../src/config/auth.config.js';
import { KeyLifecycle } from '../src/keys/key-lifecycle.service.js';
import { ISSUER, basic, form } from './auth-fixture.js';

const OPS = { clientId: 'ops', secret: 'ops-secret-0123456789abcdefAbCdEfGhIjKl', scopes: ['auth:admin'], audiences: ['auth'] };
const PUBLISH_DELAY_S = 2;

/** What the keys admin API answers (every member optional: each route fills some). */
interface AdminBody {
  code?: string;
  key: KeyView;
  previous: KeyView | null;
  keys: KeyView[];
  events: KeyEventView[];
  revoked: KeyView;
  active: KeyView;
}

/** Auth with an admin client and a timer too slow to interfere: the tests drive `advance(at)` with explicit times. */
function startAuth(env: Record<string, string> = {}): Promise<TestApp<AuthConfig>> {
  return newTestApp(authApp, {
    AUTH_KEK: randomBytes(32).toString('base64'),
    AUTH_ISSUER: ISSUER,
    AUTH_SEED_CLIENTS: JSON.stringify([OPS]),
    AUTH_JWKS_MAX_AGE_S: '1',
    AUTH_KEY_PUBLISH_DELAY_S: String(PUBLISH_DELAY_S),
    AUTH_KEY_CHECK_INTERVAL_S: '3600',
    ...env,
  });
}

async function adminToken(auth: TestApp): Promise<string> {
  const res = await fetch(`${auth.url}/oauth/token`, {
    method: 'POST',
    ...withAuth(form({ grant_type: 'client_credentials', audience: 'auth', scope: 'auth:admin' }), basic(OPS.clientId, OPS.secret)),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

function withAuth(f: { headers: Record<string, string>; body: string }, authorization: string) {
  return { headers: { ...f.headers, authorization }, body: f.body };
}

async function admin(
  auth: TestApp,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: AdminBody }> {
  const res = await fetch(`${auth.url}/admin/keys${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as AdminBody };
}

async function jwksKids(auth: TestApp): Promise<string[]> {
  const res = await fetch(`${auth.url}/.well-known/jwks.json`);
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
}

/** The kid a freshly issued token is signed with. */
async function signingKid(auth: TestApp): Promise<string> {
  return decodeProtectedHeader(await adminToken(auth)).kid!;
}

describe('signing-key lifecycle (docs/architecture.md, "Signing keys and rotation")', () => {
  let auth: TestApp<AuthConfig>;
  let token: string;
  let lifecycle: KeyLifecycle;

  beforeAll(async () => {
    auth = await startAuth();
    token = await adminToken(auth);
    lifecycle = auth.app.get(KeyLifecycle);
  });
  afterAll(async () => {
    await auth?.close();
  });

  it('publishes a planned key at once, signs with it only after the publish delay, and retires the old key once its tokens have expired', async () => {
    const before = await signingKid(auth);
    const asked = Date.now();
    const rotated = await admin(auth, token, 'POST', '/rotate', { reason: 'quarterly' });
    const answered = Date.now();
    expect(rotated.status).toBe(201);
    const next = rotated.body.key as KeyView;
    expect(next.state).toBe('pending');
    expect(rotated.body.previous).toBeNull();
    // The publish delay from the moment of the rotation, measured against the request rather than
    // the clock after it: generating the RSA key alone takes over a second on a loaded 2-core machine.
    const activatesAt = Date.parse(next.activatesAt!);
    expect(activatesAt - asked).toBeGreaterThanOrEqual(PUBLISH_DELAY_S * 1000);
    expect(activatesAt - answered).toBeLessThanOrEqual(PUBLISH_DELAY_S * 1000);
    // In the JWKS before it signs anything.
    expect(await jwksKids(auth)).toEqual([before, next.kid].sort());
    expect(await signingKid(auth)).toBe(before);

    // A second planned rotation while one is pending would make "which key signs next" ambiguous.
    const again = await admin(auth, token, 'POST', '/rotate', {});
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('rotation_in_progress');

    expect(await lifecycle.advance(new Date(activatesAt - 100))).toBe(false);
    expect(await lifecycle.advance(new Date(activatesAt + 10))).toBe(true);
    expect(await signingKid(auth)).toBe(next.kid);
    const keys = (await admin(auth, token, 'GET', '')).body.keys as KeyView[];
    const old = keys.find((k) => k.kid === before)!;
    expect(old.state).toBe('retiring');
    // Still published: tokens it signed live for the access-token TTL (+ tolerance, + one check interval).
    expect(await jwksKids(auth)).toEqual([before, next.kid].sort());
    const { accessTokenTtlSeconds, clockToleranceSeconds } = auth.config.auth;
    expect(Date.parse(old.retireAfter!) - activatesAt).toBeGreaterThanOrEqual((accessTokenTtlSeconds + clockToleranceSeconds) * 1000);

    await lifecycle.advance(new Date(Date.parse(old.retireAfter!) + 1));
    expect(await jwksKids(auth)).toEqual([next.kid]);
    // Our admin token was signed by the retired key (the test skipped its expiry): a new one.
    expect((await admin(auth, token, 'GET', '')).status).toBe(401);
    token = await adminToken(auth);
    const client = new pg.Client({ connectionString: auth.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT state, private_key_enc FROM signing_keys WHERE kid = $1', [before]);
      expect(rows[0]).toEqual({ state: 'retired', private_key_enc: null });
    } finally {
      await client.end();
    }

    const events = (await admin(auth, token, 'GET', `/events?kid=${next.kid}`)).body.events as { toState: string; actor: string }[];
    expect(events.map((e) => e.toState)).toEqual(['active', 'pending']);
    expect(events[1]!.actor).toBe('client:ops');
    expect(events[0]!.actor).toBe('scheduler');
  });

  it('rotate --now promotes at once and the previous key starts retiring', async () => {
    const before = await signingKid(auth);
    const rotated = await admin(auth, token, 'POST', '/rotate', { now: true });
    expect(rotated.status).toBe(201);
    expect(rotated.body.key.state).toBe('active');
    expect(rotated.body.previous).toMatchObject({ kid: before, state: 'retiring' });
    expect(await signingKid(auth)).toBe(rotated.body.key.kid);
    expect(await jwksKids(auth)).toContain(before);
  });

  it('starts a planned rotation when the active key is older than AUTH_KEY_ROTATION_DAYS', async () => {
    await lifecycle.advance(new Date(Date.now() + 29 * 86_400_000)); // retires the key the last test replaced
    token = await adminToken(auth);
    const keys = (await admin(auth, token, 'GET', '')).body.keys as KeyView[];
    expect(keys.some((k) => k.state === 'pending')).toBe(false);
    expect(keys.some((k) => k.state === 'retiring')).toBe(false);
    expect(await lifecycle.advance(new Date(Date.now() + 30 * 86_400_000 + 1000))).toBe(true);
    const after = (await admin(auth, token, 'GET', '')).body.keys as KeyView[];
    expect(after.filter((k) => k.state === 'pending')).toHaveLength(1);
    const events = (await admin(auth, token, 'GET', '/events')).body.events as { actor: string; reason: string }[];
    expect(events[0]).toMatchObject({ actor: 'scheduler', reason: 'scheduled rotation (AUTH_KEY_ROTATION_DAYS=30)' });
  });

  it('revokes a key in an emergency: out of the JWKS at once, a replacement signs, tokens it signed are refused', async () => {
    const oldToken = await adminToken(auth);
    const victim = decodeProtectedHeader(oldToken).kid!;
    const pending = ((await admin(auth, token, 'GET', '')).body.keys as KeyView[]).find((k) => k.state === 'pending')!;
    const res = await admin(auth, token, 'POST', `/${victim}/revoke`, { reason: 'private key leaked' });
    expect(res.status).toBe(200);
    expect(res.body.revoked).toMatchObject({ kid: victim, state: 'revoked' });
    // The pending key is the replacement: verifiers already hold it.
    expect(res.body.active).toMatchObject({ kid: pending.kid, state: 'active' });
    expect(await jwksKids(auth)).not.toContain(victim);
    const refused = await fetch(`${auth.url}/admin/keys`, { headers: { authorization: `Bearer ${oldToken}` } });
    expect(refused.status).toBe(401);
    token = await adminToken(auth);
    expect(decodeProtectedHeader(token).kid).toBe(pending.kid);
    expect((await admin(auth, token, 'GET', '')).status).toBe(200);

    const twice = await admin(auth, token, 'POST', `/${victim}/revoke`, { reason: 'again' });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('key_not_revocable');
  });

  it('revoking the active key with no pending key creates and activates a new one', async () => {
    const victim = await signingKid(auth);
    const res = await admin(auth, token, 'POST', `/${victim}/revoke`, { reason: 'drill' });
    expect(res.status).toBe(200);
    expect(res.body.active.kid).not.toBe(victim);
    token = await adminToken(auth);
    expect(decodeProtectedHeader(token).kid).toBe(res.body.active.kid);
  });

  it('refuses an unknown kid (404 key_not_found) and a revocation without a reason (400 naming the field)', async () => {
    const unknown = await admin(auth, token, 'POST', '/no-such-kid/revoke', { reason: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('key_not_found');
    const kid = await signingKid(auth);
    const noReason = await admin(auth, token, 'POST', `/${kid}/revoke`, {});
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain('reason');
    expect(await signingKid(auth)).toBe(kid);
  });

  it('requires scope auth:admin', async () => {
    const res = await fetch(`${auth.url}/admin/keys`);
    expect(res.status).toBe(401);
  });
});

describe('two auth instances on one database', () => {
  let a: TestApp<AuthConfig>;
  let b: TestApp<AuthConfig>;
  const kek = randomBytes(32).toString('base64');

  beforeAll(async () => {
    a = await startAuth({ AUTH_KEK: kek });
    b = await startAuth({ AUTH_KEK: kek, AUTH_DATABASE_URL: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('with a rotation due, exactly one of them creates the new key', async () => {
    const due = new Date(Date.now() + 31 * 86_400_000);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).app.get(KeyLifecycle).advance(due)));
    expect(results.filter(Boolean).length).toBeGreaterThanOrEqual(1);
    const client = new pg.Client({ connectionString: a.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM signing_keys WHERE state = 'pending'`);
      expect(rows[0].n).toBe(1);
      const events = await client.query(`SELECT count(*)::int AS n FROM signing_key_events WHERE reason LIKE 'scheduled rotation%'`);
      expect(events.rows[0].n).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('the other instance reloads its keyring within a second of a rotation (the announcement, not the timer)', async () => {
    const token = await adminToken(a);
    const res = await admin(a, token, 'POST', '/rotate', { now: true });
    expect(res.status).toBe(201);
    const started = Date.now();
    while ((await signingKid(b)) !== res.body.key.kid) {
      if (Date.now() - started > 1000) throw new Error('instance b still signs with the old key after 1 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await jwksKids(b)).toEqual(await jwksKids(a));
  });

  it('after an emergency revocation on one instance, the other neither signs with the key nor accepts its tokens', async () => {
    const victimToken = await adminToken(b);
    const victim = decodeProtectedHeader(victimToken).kid!;
    const introspect = async (app: TestApp, token: string): Promise<boolean> => {
      const res = await fetch(`${app.url}/oauth/introspect`, {
        method: 'POST',
        ...withAuth(form({ token }), basic(OPS.clientId, OPS.secret)),
      });
      return ((await res.json()) as { active: boolean }).active;
    };
    expect(await introspect(b, victimToken)).toBe(true);
    const res = await admin(a, await adminToken(a), 'POST', `/${victim}/revoke`, { reason: 'leak drill' });
    expect(res.status).toBe(200);
    const started = Date.now();
    while ((await introspect(b, victimToken)) || (await signingKid(b)) === victim) {
      if (Date.now() - started > 1000) throw new Error('instance b still trusts or signs with the revoked key after 1 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await signingKid(b)).toBe(res.body.active.kid);
    expect(await jwksKids(b)).not.toContain(victim);
  });
});
