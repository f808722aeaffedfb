import type { TestApp } from '@authmesh/testing';
import { CodeFlowBrowser } from '../../tools/demo/browser-login.js';
import { Browser } from './support/browser.js';
import { PASSWORD, registerUser, reservedGatewayPort, startAuth, startGateway, startServices } from './support/gateway-fixture.js';

// A browser opened at http://localhost:<port> sends `Origin: http://localhost:<port>`; the default
// public origin says 127.0.0.1. With GATEWAY_PUBLIC_ORIGIN unset, both loopback spellings are the
// gateway's own origin; an explicit GATEWAY_PUBLIC_ORIGIN is taken literally.
describe('gateway: the default loopback origin in both spellings (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let byDefault: Awaited<ReturnType<typeof startGateway>>;
  let explicit: Awaited<ReturnType<typeof startGateway>>;
  let port: number;

  beforeAll(async () => {
    auth = await startAuth();
    ({ orders, profiles } = await startServices(auth));
    const upstreams = { auth, ordersUrl: orders.url, profilesUrl: profiles.url };
    // A port whose redirect URIs (both loopback spellings) auth has registered.
    port = reservedGatewayPort(auth);
    // GATEWAY_PUBLIC_ORIGIN empty counts as unset: the default http://127.0.0.1:<PORT> applies.
    byDefault = await startGateway(upstreams, { GATEWAY_PUBLIC_ORIGIN: '', HOST: '127.0.0.1', PORT: String(port) });
    explicit = await startGateway(upstreams);
  });
  afterAll(async () => {
    await Promise.all([byDefault?.close(), explicit?.close()]);
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });

  it('lets a browser at http://localhost:<port> log in and pass the CSRF check when the origin is the default', async () => {
    const browser = new Browser({ url: byDefault.url, origin: `http://localhost:${port}` });
    expect((await browser.login(await registerUser(auth.url, 'loopback'))).status).toBe(200);
    const res = await browser.send('PUT', '/api/profiles/me', { displayName: 'Local' });
    expect(res.status).toBe(200);
    const at127 = new Browser({ url: byDefault.url, origin: `http://127.0.0.1:${port}` });
    at127.cookie = browser.cookie;
    at127.csrfToken = browser.csrfToken;
    expect((await at127.send('PUT', '/api/profiles/me', { displayName: 'Local' })).status).toBe(200);
  });

  // The login cookie is set for the host the login starts at, and auth sends the browser back to
  // the canonical origin's callback: without the hop, a browser at localhost would arrive there
  // without its login cookie (login_state_missing).
  it('moves a login started at http://localhost:<port> to the canonical origin first (no login cookie set there)', async () => {
    const res = await fetch(`http://localhost:${port}/session/login?return_to=%2Faccount`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`http://127.0.0.1:${port}/session/login?return_to=%2Faccount`);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('signs in a browser that opened http://localhost:<port>: it lands signed in on the canonical origin', async () => {
    const browser = new CodeFlowBrowser(`http://localhost:${port}`);
    const session = await browser.signIn(await registerUser(auth.url, 'loopback-canonical'), PASSWORD);
    expect(session.cookie).toMatch(/^authmesh_session=/);
    expect(browser.cookie(`http://localhost:${port}`, 'authmesh_session')).toBeUndefined();
    expect(browser.cookie(`http://127.0.0.1:${port}`, 'authmesh_session')).toBeDefined();
  });

  it('does not move a login whose host is not one of its own origins (an explicit GATEWAY_PUBLIC_ORIGIN)', async () => {
    const res = await fetch(`${explicit.url.replace('127.0.0.1', 'localhost')}/session/login`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/\/oauth\/authorize\?/);
  });

  it('still refuses any other origin, and says which origins were expected', async () => {
    const browser = new Browser({ url: byDefault.url, origin: `http://localhost:${port}` });
    expect((await browser.login(await registerUser(auth.url, 'loopback-foreign'))).status).toBe(200);
    const res = await browser.send('PUT', '/api/profiles/me', { displayName: 'X' }, { origin: `http://localhost:${port + 1}` });
    expect(res).toMatchObject({
      status: 403,
      body: {
        code: 'csrf_failed',
        message: `Cross-site request check failed: expected Origin http://127.0.0.1:${port} or http://localhost:${port}`,
      },
    });
  });

  it('takes an explicit GATEWAY_PUBLIC_ORIGIN literally: localhost is foreign to an origin that says 127.0.0.1', async () => {
    const localhost = explicit.origin.replace('127.0.0.1', 'localhost');
    const browser = new Browser({ url: explicit.url, origin: explicit.origin });
    expect((await browser.login(await registerUser(auth.url, 'loopback-explicit'))).status).toBe(200);
    const res = await browser.send('PUT', '/api/profiles/me', { displayName: 'X' }, { origin: localhost });
    expect(res).toMatchObject({
      status: 403,
      body: { code: 'csrf_failed', message: `Cross-site request check failed: expected Origin ${explicit.origin}` },
    });
  });
});
