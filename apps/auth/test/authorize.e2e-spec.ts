import pg from 'pg';
import { createHash } from 'node:crypto';
import type { TestApp } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { Keyring } from '../src/keys/keyring.service.js';
import { signRs256Jwt } from '../src/tokens/jws-signer.js';
import { ISSUER, MULTI_CLIENT, ORDERS_CLIENT, basic, form, newAuthApp, post, uniqueEmail } from './auth-fixture.js';
import { CookieJar, THIRD_PARTY_CLIENT, WEB_CLIENT, formFields, pkce } from './authorize-fixture.js';

const PASSWORD = 'correct horse battery staple';
const SSO = '__Host-authmesh_sso';
const CALLBACK = WEB_CLIENT.redirectUris[0]!;

describe('auth: GET /oauth/authorize, the hosted login, SSO sessions, consent and logout', () => {
  let app: TestApp<AuthConfig>;
  let db: pg.Client;
  let email: string;

  beforeAll(async () => {
    app = await newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, MULTI_CLIENT, WEB_CLIENT, THIRD_PARTY_CLIENT]) });
    db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    email = uniqueEmail('hosted');
    expect((await post(`${app.url}/auth/register`, { email, password: PASSWORD })).status).toBe(202);
  });
  afterAll(async () => {
    await db?.end();
    await app?.close();
  });

  const authorizeUrl = (params: Record<string, string | undefined>): string => {
    const url = new URL(`${app.url}/oauth/authorize`);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
    return url.toString();
  };
  const request = (overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
    response_type: 'code',
    client_id: WEB_CLIENT.clientId,
    redirect_uri: CALLBACK,
    scope: 'openid orders:read',
    state: 'st-<"&>',
    nonce: 'n-0S6_WzA2Mj',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    ...overrides,
  });

  /** Opens the authorization request, signs in on the page, returns the redirect. */
  async function signIn(jar: CookieJar, params = request(), password = PASSWORD): Promise<Response> {
    const page = await jar.fetch(authorizeUrl(params));
    expect(page.status).toBe(200);
    const fields = formFields(await page.text(), 'login-form');
    return jar.postForm(`${app.url}/login`, { ...fields, email, password });
  }

  describe('refused with an error page at auth, never a redirect', () => {
    const cases: [string, Record<string, string | undefined>, string][] = [
      ['an unknown client', { client_id: 'nobody' }, 'invalid_client'],
      ['a missing client_id', { client_id: undefined }, 'invalid_request'],
      ['an unregistered redirect_uri', { redirect_uri: 'https://evil.test/callback' }, 'invalid_request'],
      ['a redirect_uri differing by a trailing slash', { redirect_uri: `${CALLBACK}/` }, 'invalid_request'],
      ['a redirect_uri with an extra query', { redirect_uri: `${CALLBACK}?x=1` }, 'invalid_request'],
      ['a redirect_uri missing the registered query', { redirect_uri: 'https://app.test/cb' }, 'invalid_request'],
      ['a missing redirect_uri', { redirect_uri: undefined }, 'invalid_request'],
      ['missing PKCE', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
      ['plain PKCE', { code_challenge_method: 'plain', code_challenge: 'a'.repeat(43) }, 'invalid_request'],
      ['a challenge without its method', { code_challenge_method: undefined }, 'invalid_request'],
      ['a malformed S256 challenge', { code_challenge: 'short' }, 'invalid_request'],
      ['another client’s redirect_uri', { client_id: THIRD_PARTY_CLIENT.clientId }, 'invalid_request'],
    ];
    it.each(cases)('%s', async (_name, overrides, code) => {
      const res = await fetch(authorizeUrl(request(overrides)), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain(`<p id="error-code">${code}</p>`);
    });

    it('a repeated redirect_uri (one registered, one not)', async () => {
      const url = `${authorizeUrl(request())}&redirect_uri=${encodeURIComponent('https://evil.test/cb')}`;
      const res = await fetch(url, { redirect: 'manual' });
      expect([res.status, res.headers.get('location')]).toEqual([400, null]);
    });

    it('a disabled client', async () => {
      await db.query(`UPDATE clients SET enabled = false WHERE client_id = 'multi'`);
      const res = await fetch(authorizeUrl(request({ client_id: 'multi' })), { redirect: 'manual' });
      expect([res.status, res.headers.get('location')]).toEqual([400, null]);
    });
  });

  describe('errors once client, redirect and PKCE are sound go to the redirect URI with state and iss', () => {
    const expectRedirectError = async (res: Response, error: string): Promise<void> => {
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('state')).toBe('st-<"&>');
      expect(location.searchParams.get('iss')).toBe(ISSUER);
      expect(location.searchParams.get('code')).toBeNull();
    };
    it('response_type other than code', async () => {
      await expectRedirectError(
        await fetch(authorizeUrl(request({ response_type: 'token' })), { redirect: 'manual' }),
        'unsupported_response_type',
      );
    });
    it('a scope the client may not have, and a privileged one', async () => {
      await expectRedirectError(await fetch(authorizeUrl(request({ scope: 'profiles:read' })), { redirect: 'manual' }), 'invalid_scope');
      await expectRedirectError(await fetch(authorizeUrl(request({ scope: 'auth:admin' })), { redirect: 'manual' }), 'invalid_scope');
    });
    it('an audience the client may not have', async () => {
      await expectRedirectError(await fetch(authorizeUrl(request({ audience: 'profiles' })), { redirect: 'manual' }), 'invalid_target');
    });
    it('prompt=none without a session', async () => {
      await expectRedirectError(await fetch(authorizeUrl(request({ prompt: 'none' })), { redirect: 'manual' }), 'login_required');
    });
  });

  it('renders an accessible login page under a strict CSP, with its stylesheet from a file route', async () => {
    const res = await new CookieJar().fetch(authorizeUrl(request()));
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("form-action 'self' http://127.0.0.1:5555");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const page = await res.text();
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<form id="login-form" method="post" action="/login">');
    expect(page).toContain('<label for="email">');
    expect(page).toMatch(/<input id="email" name="email" type="email" autocomplete="username"/);
    expect(page).toMatch(/<input id="password" name="password" type="password" autocomplete="current-password"/);
    expect(page).toContain('<button type="submit">Sign in</button>');
    expect(page).not.toMatch(/<script|style=/);
    // The state is escaped, not interpolated raw.
    expect(page).toContain('value="st-&lt;&quot;&amp;&gt;"');
    const css = await fetch(`${app.url}/assets/auth.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('a full login redirects with a code (stored hashed, bound to the request), state and iss, and sets the SSO cookie', async () => {
    const jar = new CookieJar();
    const { challenge } = pkce();
    const res = await signIn(jar, request({ code_challenge: challenge }));
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
    expect(location.searchParams.get('state')).toBe('st-<"&>');
    expect(location.searchParams.get('iss')).toBe(ISSUER);
    const code = location.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    const sso = res.headers.getSetCookie().find((c) => c.startsWith(`${SSO}=`))!;
    expect(sso).toMatch(/HttpOnly/i);
    expect(sso).toMatch(/Secure/i);
    expect(sso).toMatch(/SameSite=Lax/i);
    expect(sso).toMatch(/Path=\//);
    expect(sso).not.toMatch(/Domain=/i);
    const rows = await db.query(
      `SELECT c.client_id, c.redirect_uri, c.code_challenge, c.scope, c.nonce, c.audiences, c.sso_session_id, s.secret_hash
       FROM authorization_codes c JOIN sso_sessions s ON s.id = c.sso_session_id WHERE c.code_hash = $1`,
      [createHash('sha256').update(code).digest()],
    );
    expect(rows.rows).toHaveLength(1);
    const row = rows.rows[0] as Record<string, unknown>;
    expect(row).toMatchObject({
      client_id: 'webapp',
      redirect_uri: CALLBACK,
      code_challenge: challenge,
      scope: 'openid orders:read',
      nonce: 'n-0S6_WzA2Mj',
    });
    expect(row.audiences).toEqual(['orders']);
    // The cookie holds the secret; the database only its SHA-256.
    expect((row.secret_hash as Buffer).equals(createHash('sha256').update(jar.cookies.get(SSO)!).digest())).toBe(true);
  });

  it('a wrong password re-renders the page (401) with the uniform message and sets no cookie', async () => {
    const jar = new CookieJar();
    const res = await signIn(jar, request(), 'not the password at all');
    expect(res.status).toBe(401);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.getSetCookie()).toEqual([]);
    const page = await res.text();
    expect(page).toContain('<p id="login-error" class="error" role="alert">Invalid email or password</p>');
    expect(page).toContain('<form id="login-form"');
    // An unknown account answers the same.
    const fields = formFields(page, 'login-form');
    const unknown = await jar.postForm(`${app.url}/login`, { ...fields, email: uniqueEmail('nobody'), password: PASSWORD });
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).toContain('Invalid email or password');
  });

  it('refuses a login form whose CSRF token is missing, wrong, or from another browser', async () => {
    const jar = new CookieJar();
    const page = await jar.fetch(authorizeUrl(request()));
    const fields = formFields(await page.text(), 'login-form');
    const { csrf_token: token, ...rest } = fields;
    for (const values of [rest, { ...rest, csrf_token: 'x'.repeat(43) }]) {
      const res = await jar.postForm(`${app.url}/login`, { ...values, email, password: PASSWORD });
      expect([res.status, res.headers.get('location')]).toEqual([403, null]);
      expect(await res.text()).toContain('<p id="error-code">csrf_failed</p>');
    }
    // The right token, but from a browser without the matching pre-login cookie (login CSRF).
    const other = await new CookieJar().postForm(`${app.url}/login`, { ...rest, csrf_token: token!, email, password: PASSWORD });
    expect([other.status, other.headers.get('location')]).toEqual([403, null]);
  });

  it('a tampered redirect_uri in the login form gets the error page, not a code', async () => {
    const jar = new CookieJar();
    const page = await jar.fetch(authorizeUrl(request()));
    const fields = formFields(await page.text(), 'login-form');
    const res = await jar.postForm(`${app.url}/login`, { ...fields, redirect_uri: 'https://evil.test/cb', email, password: PASSWORD });
    expect([res.status, res.headers.get('location')]).toEqual([400, null]);
    expect(res.headers.getSetCookie().some((c) => c.startsWith(SSO))).toBe(false);
  });

  it('SSO: a second authorization skips the login page; prompt=login forces it; prompt=none answers with a code', async () => {
    const jar = new CookieJar();
    expect((await signIn(jar)).status).toBe(303);
    const first = jar.cookies.get(SSO);
    const again = await jar.fetch(authorizeUrl(request({ state: 'two' })));
    expect(again.status).toBe(302);
    const location = new URL(again.headers.get('location')!);
    expect(location.searchParams.get('code')).toBeTruthy();
    expect(location.searchParams.get('state')).toBe('two');
    const silent = await jar.fetch(authorizeUrl(request({ prompt: 'none' })));
    expect(new URL(silent.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    const forced = await jar.fetch(authorizeUrl(request({ prompt: 'login' })));
    expect(forced.status).toBe(200);
    expect(await forced.text()).toContain('<form id="login-form"');
    // A new login: a new session secret (session fixation), and the old one is dead.
    expect((await signIn(jar, request({ prompt: 'login' }))).status).toBe(303);
    expect(jar.cookies.get(SSO)).not.toBe(first);
    const stale = new CookieJar();
    stale.cookies.set(SSO, first!);
    expect((await stale.fetch(authorizeUrl(request()))).status).toBe(200);
  });

  it('max_age (OIDC Core §3.1.2.1): a password typed longer ago is asked again; prompt=none then answers login_required', async () => {
    const jar = new CookieJar();
    expect((await signIn(jar)).status).toBe(303);
    const codeOf = (res: Response): string | null => new URL(res.headers.get('location')!).searchParams.get('code');
    const recent = await jar.fetch(authorizeUrl(request({ max_age: '3600' })));
    expect([recent.status, codeOf(recent) !== null]).toEqual([302, true]);
    const zero = await jar.fetch(authorizeUrl(request({ max_age: '0' })));
    expect(zero.status).toBe(200);
    expect(await zero.text()).toContain('<form id="login-form"');
    const hash = createHash('sha256').update(jar.cookies.get(SSO)!).digest();
    await db.query(`UPDATE sso_sessions SET auth_time = now() - interval '2 hours' WHERE secret_hash = $1`, [hash]);
    expect((await jar.fetch(authorizeUrl(request({ max_age: '3600' })))).status).toBe(200);
    const silent = new URL((await jar.fetch(authorizeUrl(request({ max_age: '3600', prompt: 'none' })))).headers.get('location')!);
    expect(silent.searchParams.get('error')).toBe('login_required');
    const bad = new URL((await jar.fetch(authorizeUrl(request({ max_age: '-1' })))).headers.get('location')!);
    expect(bad.searchParams.get('error')).toBe('invalid_request');
    // Signing in on the page satisfies it; the ID token's auth_time says when.
    expect((await signIn(jar, request({ max_age: '3600' }))).status).toBe(303);
    expect((await jar.fetch(authorizeUrl(request({ max_age: '3600' })))).status).toBe(302);
  });

  it('POST /oauth/authorize (OIDC Core §3.1.2.1) takes the same request as a form body', async () => {
    const jar = new CookieJar();
    const asForm = (params: Record<string, string | undefined>): Record<string, string> =>
      Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
    const page = await jar.postForm(`${app.url}/oauth/authorize`, asForm(request()));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form id="login-form"');
    expect((await signIn(jar)).status).toBe(303);
    const coded = await jar.postForm(`${app.url}/oauth/authorize`, asForm(request({ state: 'posted' })));
    expect(coded.status).toBe(303);
    const at = new URL(coded.headers.get('location')!);
    expect([at.origin + at.pathname, at.searchParams.get('state'), at.searchParams.get('iss')]).toEqual([CALLBACK, 'posted', ISSUER]);
    // The same refusals as GET: a redirect_uri that is not registered is an error page, never a redirect.
    const bad = await jar.postForm(`${app.url}/oauth/authorize`, asForm(request({ redirect_uri: `${CALLBACK}/` })));
    expect([bad.status, bad.headers.get('location')]).toEqual([400, null]);
  });

  it('consent: shown for a third-party client, deny → access_denied, allow → a code and remembered; skipped for first-party', async () => {
    const jar = new CookieJar();
    expect((await signIn(jar)).status).toBe(303);
    const third = (overrides: Record<string, string | undefined> = {}): string =>
      authorizeUrl(request({ client_id: THIRD_PARTY_CLIENT.clientId, redirect_uri: THIRD_PARTY_CLIENT.redirectUris[0], ...overrides }));
    expect((await jar.fetch(third({ prompt: 'none' }))).headers.get('location')).toContain('error=consent_required');
    const page = await jar.fetch(third());
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<ul id="consent-scopes">');
    expect(html).toContain('<li>openid</li>');
    expect(html).toContain('<li>orders:read</li>');
    expect(html).toContain('<button name="decision" value="allow" type="submit">Allow</button>');
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self' https://third.test");
    const fields = formFields(html, 'consent-form');
    const denied = await jar.postForm(`${app.url}/oauth/authorize/consent`, { ...fields, decision: 'deny' });
    expect(denied.status).toBe(303);
    const deniedAt = new URL(denied.headers.get('location')!);
    expect([deniedAt.origin, deniedAt.searchParams.get('error'), deniedAt.searchParams.get('iss')]).toEqual([
      'https://third.test',
      'access_denied',
      ISSUER,
    ]);
    const noCsrf = await jar.postForm(`${app.url}/oauth/authorize/consent`, { ...fields, csrf_token: '', decision: 'allow' });
    expect(noCsrf.status).toBe(403);
    const allowed = await jar.postForm(`${app.url}/oauth/authorize/consent`, { ...fields, decision: 'allow' });
    expect(allowed.status).toBe(303);
    expect(new URL(allowed.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    // Remembered: the next request goes straight to the client.
    const next = await jar.fetch(third());
    expect(next.status).toBe(302);
    expect(new URL(next.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    // prompt=consent asks again.
    expect((await jar.fetch(third({ prompt: 'consent' }))).status).toBe(200);
  });

  it('a third-party app granted openid reads userinfo, and is refused by the account API (sessions, revoke, logout-all)', async () => {
    // The attack: an app the user let read their profile lists the user's sessions, signs them out
    // of one or of everything. Its token names `userinfo` for openid, never `auth`.
    const jar = new CookieJar();
    expect((await signIn(jar)).status).toBe(303);
    const { verifier, challenge } = pkce();
    const params = request({
      client_id: THIRD_PARTY_CLIENT.clientId,
      redirect_uri: THIRD_PARTY_CLIENT.redirectUris[0],
      code_challenge: challenge,
      prompt: 'consent',
    });
    const page = await jar.fetch(authorizeUrl(params));
    expect(page.status).toBe(200);
    const allowed = await jar.postForm(`${app.url}/oauth/authorize/consent`, {
      ...formFields(await page.text(), 'consent-form'),
      decision: 'allow',
    });
    const code = new URL(allowed.headers.get('location')!).searchParams.get('code')!;
    const f = form({ grant_type: 'authorization_code', code, redirect_uri: THIRD_PARTY_CLIENT.redirectUris[0]!, code_verifier: verifier });
    const redeemed = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, authorization: basic(THIRD_PARTY_CLIENT.clientId, THIRD_PARTY_CLIENT.secret) },
    });
    expect(redeemed.status).toBe(200);
    const access = ((await redeemed.json()) as { access_token: string }).access_token;
    const bearer = { authorization: `Bearer ${access}` };
    const userinfo = await fetch(`${app.url}/oauth/userinfo`, { headers: bearer });
    expect(userinfo.status).toBe(200);
    expect(((await userinfo.json()) as { email: string }).email).toBe(email);
    const refusals = [
      await fetch(`${app.url}/auth/sessions`, { headers: bearer }),
      await fetch(`${app.url}/auth/sessions/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/revoke`, { method: 'POST', headers: bearer }),
      await fetch(`${app.url}/auth/logout-all`, { method: 'POST', headers: bearer }),
    ];
    for (const res of refusals) {
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('token_wrong_audience');
    }
    // The user's own session is untouched: the SSO cookie still signs them in without a password.
    const again = await jar.fetch(authorizeUrl(request()));
    expect(again.status).toBe(302);
  });

  it('an idle session, one past its absolute timeout, or one of a disabled user is dead', async () => {
    const secretHash = (jar: CookieJar): Buffer => createHash('sha256').update(jar.cookies.get(SSO)!).digest();
    const idle = new CookieJar();
    expect((await signIn(idle)).status).toBe(303);
    await db.query(`UPDATE sso_sessions SET last_seen_at = now() - interval '1801 seconds' WHERE secret_hash = $1`, [secretHash(idle)]);
    expect((await idle.fetch(authorizeUrl(request()))).status).toBe(200);
    const old = new CookieJar();
    expect((await signIn(old)).status).toBe(303);
    await db.query(`UPDATE sso_sessions SET absolute_expires_at = now() WHERE secret_hash = $1`, [secretHash(old)]);
    expect((await old.fetch(authorizeUrl(request()))).status).toBe(200);
    const user = uniqueEmail('disabled');
    expect((await post(`${app.url}/auth/register`, { email: user, password: PASSWORD })).status).toBe(202);
    const jar = new CookieJar();
    const page = await jar.fetch(authorizeUrl(request()));
    const login = await jar.postForm(`${app.url}/login`, {
      ...formFields(await page.text(), 'login-form'),
      email: user,
      password: PASSWORD,
    });
    expect(login.status).toBe(303);
    expect((await jar.fetch(authorizeUrl(request()))).status).toBe(302);
    await db.query(`UPDATE users SET disabled = true WHERE email = $1`, [user]);
    expect((await jar.fetch(authorizeUrl(request()))).status).toBe(200);
  });

  it('"sign out everywhere" ends the SSO session: the next authorization shows the login page', async () => {
    const jar = new CookieJar();
    expect((await signIn(jar)).status).toBe(303);
    const login = (await (await post(`${app.url}/auth/login`, { email, password: PASSWORD })).json()) as { access_token: string };
    expect((await post(`${app.url}/auth/logout-all`, {}, { authorization: `Bearer ${login.access_token}` })).status).toBe(200);
    const res = await jar.fetch(authorizeUrl(request()));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<form id="login-form"');
  });

  describe('RP-initiated logout (GET|POST /oauth/logout)', () => {
    /** A refresh family started from the jar's SSO session (what the token endpoint does on redeeming its code). */
    async function familyOfSession(jar: CookieJar): Promise<string> {
      const tokens = (await (await post(`${app.url}/auth/login`, { email, password: PASSWORD })).json()) as { refresh_token: string };
      const hash = createHash('sha256').update(jar.cookies.get(SSO)!).digest();
      await db.query(
        `UPDATE refresh_families SET sso_session_id = (SELECT id FROM sso_sessions WHERE secret_hash = $1)
         WHERE id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $2)`,
        [hash, createHash('sha256').update(tokens.refresh_token).digest()],
      );
      return tokens.refresh_token;
    }

    it('without a hint asks first (CSRF-protected), then ends the SSO session and revokes its refresh families', async () => {
      const jar = new CookieJar();
      expect((await signIn(jar)).status).toBe(303);
      const refreshToken = await familyOfSession(jar);
      const confirm = await jar.fetch(`${app.url}/oauth/logout`);
      expect(confirm.status).toBe(200);
      const page = await confirm.text();
      expect(page).toContain('<form id="logout-form" method="post"');
      expect(page).toContain('<button type="submit">Sign out</button>');
      const fields = formFields(page, 'logout-form');
      const forged = await jar.postForm(`${app.url}/oauth/logout`, {});
      expect(forged.status).toBe(403);
      const done = await jar.postForm(`${app.url}/oauth/logout`, fields);
      expect(done.status).toBe(200);
      expect(await done.text()).toContain('<h1 id="signed-out">');
      expect(done.headers.getSetCookie().some((c) => c.startsWith(`${SSO}=;`))).toBe(true);
      // The family started from that session is dead.
      const refreshed = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        ...form({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });
      expect(refreshed.status).toBe(400);
      expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
      const ended = await db.query(`SELECT ended_at FROM sso_sessions WHERE ended_reason = 'logout'`);
      expect(ended.rows.length).toBeGreaterThan(0);
    });

    it('goes back only to a registered post_logout_redirect_uri (exact match), with state', async () => {
      const jar = new CookieJar();
      expect((await signIn(jar)).status).toBe(303);
      const bad = await jar.fetch(
        `${app.url}/oauth/logout?client_id=webapp&post_logout_redirect_uri=${encodeURIComponent('https://evil.test/')}`,
      );
      expect([bad.status, bad.headers.get('location')]).toEqual([400, null]);
      const unnamed = await jar.fetch(
        `${app.url}/oauth/logout?post_logout_redirect_uri=${encodeURIComponent(WEB_CLIENT.postLogoutRedirectUris[0]!)}`,
      );
      expect([unnamed.status, unnamed.headers.get('location')]).toEqual([400, null]);
      const url = `${app.url}/oauth/logout?client_id=webapp&state=s1&post_logout_redirect_uri=${encodeURIComponent(WEB_CLIENT.postLogoutRedirectUris[0]!)}`;
      const confirm = await jar.fetch(url);
      expect(confirm.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:5555");
      const done = await jar.postForm(`${app.url}/oauth/logout`, formFields(await confirm.text(), 'logout-form'));
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe(`${WEB_CLIENT.postLogoutRedirectUris[0]}?state=s1`);
      expect((await jar.fetch(authorizeUrl(request()))).status).toBe(200); // signed out at auth
    });

    /** An ID token as the token endpoint signs it (the keyring's current key), an hour expired. */
    async function idToken(claims: Record<string, unknown>, typ = 'JWT'): Promise<string> {
      const signer = await app.app.get(Keyring).currentSigner();
      const iat = Math.floor(Date.now() / 1000) - 7200;
      return signRs256Jwt(
        { alg: 'RS256', typ, kid: signer.kid } as Parameters<typeof signRs256Jwt>[0],
        { iss: ISSUER, aud: 'webapp', iat, exp: iat + 3600, ...claims },
        signer.privateKey,
      );
    }

    /** The SSO session behind the jar's cookie. */
    async function sessionOf(jar: CookieJar): Promise<{ sid: string; sub: string }> {
      const session = await db.query(`SELECT id, user_id FROM sso_sessions WHERE secret_hash = $1`, [
        createHash('sha256').update(jar.cookies.get(SSO)!).digest(),
      ]);
      const { id: sid, user_id: sub } = session.rows[0] as { id: string; user_id: string };
      return { sid, sub };
    }
    const endedReason = async (sid: string): Promise<unknown> =>
      ((await db.query(`SELECT ended_reason FROM sso_sessions WHERE id = $1`, [sid])).rows[0] as { ended_reason: unknown }).ended_reason;

    it("with a valid (even expired) id_token_hint naming the browser's own session, ends it at once and goes back with state", async () => {
      const jar = new CookieJar();
      expect((await signIn(jar)).status).toBe(303);
      const refreshToken = await familyOfSession(jar);
      const { sid, sub } = await sessionOf(jar);
      const hint = await idToken({ sub, sid });
      const target = WEB_CLIENT.postLogoutRedirectUris[0]!;
      // The RP's redirect, in the browser that holds the session.
      const res = await jar.fetch(
        `${app.url}/oauth/logout?id_token_hint=${hint}&post_logout_redirect_uri=${encodeURIComponent(target)}&state=xyz`,
      );
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`${target}?state=xyz`);
      expect((await db.query(`SELECT ended_reason FROM sso_sessions WHERE id = $1`, [sid])).rows[0]).toEqual({ ended_reason: 'logout' });
      const refreshed = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        ...form({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });
      expect(refreshed.status).toBe(400);
      expect((await jar.fetch(authorizeUrl(request()))).status).toBe(200); // the browser is signed out at auth
    });

    it("a hint for a session the browser is not in ends nothing unasked, and confirming ends only the browser's own", async () => {
      // The attack: a client (or whoever read its logs) holding an old ID token ends the user's
      // SSO session from anywhere, or sends another user's browser here to end theirs.
      const victim = new CookieJar();
      expect((await signIn(victim)).status).toBe(303);
      const { sid, sub } = await sessionOf(victim);
      const hint = await idToken({ sub, sid });
      const url = `${app.url}/oauth/logout?id_token_hint=${hint}`;
      // No cookie at all: the confirmation page, and the hint's session lives on.
      const bare = await fetch(url, { redirect: 'manual' });
      expect(bare.status).toBe(200);
      expect(await bare.text()).toContain('<form id="logout-form" method="post"');
      expect(await endedReason(sid)).toBeNull();
      // Another session's cookie (a second sign-in of someone else): asked, and confirming ends that
      // browser's session only.
      const other = uniqueEmail('other-browser');
      expect((await post(`${app.url}/auth/register`, { email: other, password: PASSWORD })).status).toBe(202);
      const bystander = new CookieJar();
      const page = await bystander.fetch(authorizeUrl(request()));
      expect(
        (await bystander.postForm(`${app.url}/login`, { ...formFields(await page.text(), 'login-form'), email: other, password: PASSWORD }))
          .status,
      ).toBe(303);
      const own = await sessionOf(bystander);
      const confirm = await bystander.fetch(url);
      expect(confirm.status).toBe(200);
      expect(confirm.headers.getSetCookie().some((c) => c.startsWith(`${SSO}=;`))).toBe(false);
      expect(await endedReason(sid)).toBeNull();
      expect(await endedReason(own.sid)).toBeNull();
      // A cross-site POST of the hint without the page's CSRF token: refused.
      expect((await bystander.postForm(`${app.url}/oauth/logout`, { id_token_hint: hint })).status).toBe(403);
      const done = await bystander.postForm(`${app.url}/oauth/logout`, formFields(await confirm.text(), 'logout-form'));
      expect(done.status).toBe(200);
      expect(await endedReason(own.sid)).toBe('logout');
      expect(await endedReason(sid)).toBeNull();
      expect((await victim.fetch(authorizeUrl(request()))).status).toBe(302); // the victim is still signed in
    });

    it('refuses a hint from another issuer, for another client, or an access token as a hint', async () => {
      const cases = [await idToken({ sub: 'someone', iss: 'https://other.test' }), await idToken({ sub: 'someone' }, 'at+jwt')];
      for (const hint of cases) {
        const res = await fetch(`${app.url}/oauth/logout?id_token_hint=${hint}`, { redirect: 'manual' });
        expect([res.status, res.headers.get('location')]).toEqual([400, null]);
      }
      const foreign = await fetch(`${app.url}/oauth/logout?client_id=thirdparty&id_token_hint=${await idToken({ sub: 'someone' })}`, {
        redirect: 'manual',
      });
      expect([foreign.status, foreign.headers.get('location')]).toEqual([400, null]);
    });

    it('refuses a forged id_token_hint with an error page', async () => {
      const forged = `${Buffer.from('{"alg":"RS256","kid":"x"}').toString('base64url')}.${Buffer.from('{"iss":"http://auth.test","sub":"u","aud":"webapp"}').toString('base64url')}.c2ln`;
      const res = await fetch(`${app.url}/oauth/logout?id_token_hint=${forged}`, { redirect: 'manual' });
      expect([res.status, res.headers.get('location')]).toEqual([400, null]);
    });
  });

  describe('hosted change-password page', () => {
    it('asks to sign in first, then changes the password, ending every session', async () => {
      const user = uniqueEmail('changer');
      expect((await post(`${app.url}/auth/register`, { email: user, password: PASSWORD })).status).toBe(202);
      const jar = new CookieJar();
      const returnTo = 'http://127.0.0.1:5555/account';
      const first = await jar.fetch(`${app.url}/account/password?return_to=${encodeURIComponent(returnTo)}`);
      expect(first.status).toBe(200);
      const login = formFields(await first.text(), 'login-form');
      const signedIn = await jar.postForm(`${app.url}/login`, { ...login, email: user, password: PASSWORD });
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.get('location')).toBe(`/account/password?return_to=${encodeURIComponent(returnTo)}`);
      const page = await jar.fetch(`${app.url}${signedIn.headers.get('location')}`);
      const html = await page.text();
      expect(html).toContain('<form id="password-form"');
      expect(html).toMatch(/name="new_password" type="password" autocomplete="new-password"/);
      const fields = formFields(html, 'password-form');
      const wrong = await jar.postForm(`${app.url}/account/password`, {
        ...fields,
        current_password: 'wrong password here',
        new_password: 'a brand new passphrase',
      });
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).toContain('role="alert"');
      const changed = await jar.postForm(`${app.url}/account/password`, {
        ...fields,
        current_password: PASSWORD,
        new_password: 'a brand new passphrase',
      });
      expect(changed.status).toBe(200);
      const done = await changed.text();
      expect(done).toContain('<p id="password-changed" role="status"');
      expect(done).toContain(`href="${returnTo}"`);
      expect((await post(`${app.url}/auth/login`, { email: user, password: 'a brand new passphrase' })).status).toBe(200);
      // The SSO session ended with the change.
      expect((await jar.fetch(`${app.url}/account/password`)).status).toBe(200);
      const session = await db.query(
        `SELECT count(*)::int AS n FROM sso_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1 AND s.ended_at IS NULL`,
        [user],
      );
      expect(session.rows[0].n).toBe(0);
    });

    it('refuses a return_to outside the registered clients’ origins', async () => {
      const res = await fetch(`${app.url}/account/password?return_to=${encodeURIComponent('https://evil.test/')}`, { redirect: 'manual' });
      expect([res.status, res.headers.get('location')]).toEqual([400, null]);
    });
  });
});
