import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { type TestApp, launchChromium, screenshot } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { ORDERS_CLIENT, newAuthApp, post, uniqueEmail } from './auth-fixture.js';
import { THIRD_PARTY_CLIENT, WEB_CLIENT, pkce } from './authorize-fixture.js';

const PASSWORD = 'correct horse battery staple';

/**
 * The hosted pages in Debian's Chromium: the form works under the page's CSP (form-action must
 * allow the redirect that follows the submission), the `__Host-` SSO cookie is stored over
 * http://127.0.0.1, a second authorization skips the form, consent and a wrong password render.
 */
describe('auth: the hosted login in Chromium', () => {
  let app: TestApp<AuthConfig>;
  let browser: Browser;
  let clientApp: Server;
  /** The relying parties' callbacks, served for real (Playwright's routing does not see the hops of a redirect). */
  let web: typeof WEB_CLIENT;
  let third: typeof THIRD_PARTY_CLIENT;
  const callbacks: string[] = [];
  const email = uniqueEmail('browser');

  beforeAll(async () => {
    clientApp = createServer((req, res) => {
      // Chromium also asks the page's origin for /favicon.ico once the callback has loaded.
      if (!req.url!.startsWith('/favicon')) callbacks.push(`http://127.0.0.1${req.url}`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('client callback');
    });
    await new Promise<void>((resolve) => clientApp.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(clientApp.address() as AddressInfo).port}`;
    web = { ...WEB_CLIENT, redirectUris: [`${origin}/callback`] };
    third = { ...THIRD_PARTY_CLIENT, redirectUris: [`${origin}/third`] };
    app = await newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, web, third]) });
    expect((await post(`${app.url}/auth/register`, { email, password: PASSWORD })).status).toBe(202);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    clientApp?.close();
  });

  const authorizeUrl = (clientId: string, redirectUri: string): string =>
    `${app.url}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'openid orders:read',
      state: 'browser-state',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    })}`;

  it('signs in through the page, stores the SSO cookie, and skips the page the second time', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(authorizeUrl(web.clientId, web.redirectUris[0]!));
    await screenshot(page, 'auth-login');
    await page.fill('#email', email);
    await page.fill('#password', 'a wrong password here');
    await page.click('button[type="submit"]');
    await page.waitForSelector('#login-error');
    expect(await page.textContent('#login-error')).toBe('Invalid email or password');
    await screenshot(page, 'auth-login-error');
    expect((await context.cookies()).some((c) => c.name === '__Host-authmesh_sso')).toBe(false);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(/\/callback\?code=/), page.click('button[type="submit"]')]);
    const back = new URL(callbacks.at(-1)!);
    expect(back.searchParams.get('code')).toBeTruthy();
    expect(back.searchParams.get('state')).toBe('browser-state');
    const sso = (await context.cookies()).find((c) => c.name === '__Host-authmesh_sso');
    expect(sso).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    // Signed in at auth: straight back to the client, no form.
    await page.goto(authorizeUrl(web.clientId, web.redirectUris[0]!));
    expect(page.url()).toMatch(/\/callback\?code=/);
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows the consent page of a third-party client, and Allow goes back with a code', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizeUrl(third.clientId, third.redirectUris[0]!));
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector('#consent-scopes');
    expect(await page.locator('#consent-scopes li').allTextContents()).toEqual(['openid', 'orders:read']);
    await screenshot(page, 'auth-consent');
    await Promise.all([page.waitForURL(/\/third\?code=/), page.click('button[value="allow"]')]);
    await context.close();
  }, 60_000);
});
