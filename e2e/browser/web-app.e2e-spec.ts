import { launchChromium, screenshot } from '@authmesh/testing';
import type { Browser, Page } from 'playwright-core';
import {
  PASSWORD,
  THIRD_PARTY,
  type WebSuite,
  cookieNames,
  newPerson,
  pkce,
  registerUser,
  signInThroughThePage,
  startWebSuite,
} from './support/web-suite.js';

/**
 * The web app in Chromium against the real suite (issue 18): sign in with the code flow through
 * auth's hosted page, orders, sign out (with the SSO session), sessions on the account page, sign
 * out everywhere, consent for a third-party client, and a wrong password. One suite for the file;
 * each person is a browser context of its own (its own cookies). Screenshots: .screenshots/.
 */
describe('web app in Chromium: the code flow, the account page, consent (e2e)', () => {
  let suite: WebSuite;
  let browser: Browser;

  beforeAll(async () => {
    // One after the other: a suite that fails to start must not leave a launched browser unclosed.
    browser = await launchChromium();
    suite = await startWebSuite();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await suite?.close();
  });

  /**
   * Reloads until the page shows the signed-out state: the revocation reaches the gateway's mirror
   * through Redis, a moment after auth wrote it.
   */
  async function expectSignedOutOnReload(page: Page, path = '/'): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await page.goto(`${suite.gateway.url}${path}`);
      try {
        await page.locator('body[data-state="signed-out"]').waitFor({ timeout: 2_000 });
        break;
      } catch (e) {
        if (attempt === 5) throw e;
      }
    }
    await page.locator('#sign-in').waitFor({ state: 'visible' });
  }

  describe('one person: sign in, orders, sign out', () => {
    let page: Page;
    let email: string;

    beforeAll(async () => {
      email = await registerUser(suite.auth.url, 'browser-a');
      ({ page } = await newPerson(browser));
    });

    it("signs in through auth's hosted login page and comes back signed in", async () => {
      await signInThroughThePage(page, suite, email, {
        onLoginPage: async (p) => {
          expect(new URL(p.url()).origin).toBe(suite.authUrl);
          await screenshot(p, 'auth-login');
        },
      });
      expect(new URL(page.url()).origin).toBe(suite.gateway.origin);
      await page.locator('#orders-empty').waitFor({ state: 'visible' });
      await screenshot(page, 'web-app-signed-in');
    });

    it('saves the shipping address, creates an order with the CSRF header, and lists it', async () => {
      await page.locator('#display-name').fill('Ada');
      await page.locator('#address-line1').fill('1 Main Street');
      await page.locator('#address-city').fill('Lyon');
      await page.locator('#address-postal-code').fill('69001');
      await page.locator('#address-country').fill('FR');
      await page.locator('#profile-form button[type="submit"]').click();
      await page.locator('#profile-name', { hasText: 'Ada' }).waitFor();

      const posted = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/orders');
      await page.locator('#order-sku').selectOption('BOOK-1');
      await page.locator('#order-quantity').fill('2');
      await page.locator('#order-form button[type="submit"]').click();
      expect((await posted).headers()['x-csrf-token']).toMatch(/.{16,}/);
      await page.locator('#orders li', { hasText: '2 × BOOK-1' }).waitFor();
      expect(await page.locator('#orders li').count()).toBe(1);
      expect(await page.locator('#status').textContent()).toContain('25.00 EUR');
      await screenshot(page, 'web-app-order-created');
    });

    it('signs out: back to "Sign in", and the SSO session at auth is over (Sign in shows the login form again)', async () => {
      await page.locator('#sign-out').click();
      await page.locator('#sign-in').waitFor({ state: 'visible' });
      expect(new URL(page.url()).origin).toBe(suite.gateway.origin);
      await screenshot(page, 'web-app-signed-out-after-sign-out');
      await page.locator('#sign-in').click();
      await page.locator('#login-form').waitFor({ state: 'visible' });
      expect(new URL(page.url()).origin).toBe(suite.authUrl);
    });
  });

  describe('two browsers as one person: the account page, sign out this one, sign out everywhere', () => {
    let laptop: Page;
    let phone: Page;
    let email: string;

    beforeAll(async () => {
      email = await registerUser(suite.auth.url, 'browser-b');
      ({ page: laptop } = await newPerson(browser));
      ({ page: phone } = await newPerson(browser));
      await signInThroughThePage(laptop, suite, email);
      await signInThroughThePage(phone, suite, email);
    });

    it('lists both sessions, this browser marked, and "Sign out this one" removes the other', async () => {
      await laptop.locator('#account-link').click();
      await laptop.locator('#sessions tbody tr').nth(1).waitFor();
      expect(await laptop.locator('#sessions tbody tr[data-session-id]').count()).toBe(2);
      expect(await laptop.locator('#sessions tbody tr[data-current="true"]').count()).toBe(1);
      expect(await laptop.locator('#change-password').getAttribute('href')).toMatch(new RegExp(`^${suite.authUrl}/account/password\\?`));
      await screenshot(laptop, 'web-app-account-two-sessions');

      await laptop.locator('#sessions tbody tr:not([data-current="true"]) .revoke-session').click();
      // The list is rendered anew: the second row goes (waitForFunction would need eval, which the CSP refuses).
      await laptop.locator('#sessions tbody tr').nth(1).waitFor({ state: 'detached' });
      expect(await laptop.locator('#sessions tbody tr').count()).toBe(1);
      expect(await laptop.locator('#sessions tbody tr[data-current="true"]').count()).toBe(1);
      await screenshot(laptop, 'web-app-account-one-revoked');
    });

    it('"Change password" opens auth\'s own page, without signing in again (the SSO session), coming back to /account', async () => {
      await laptop.locator('#change-password').click();
      await laptop.locator('#password-form').waitFor({ state: 'visible' });
      const url = new URL(laptop.url());
      expect(url.origin).toBe(suite.authUrl);
      expect(url.searchParams.get('return_to')).toBe(`${suite.gateway.origin}/account`);
      await screenshot(laptop, 'auth-change-password');
      await laptop.goBack();
    });

    it('the revoked browser is signed out at its next request', async () => {
      await expectSignedOutOnReload(phone);
    });

    it('"Sign out everywhere" in one browser signs the other out at its next request', async () => {
      // The phone signs in again: with its SSO session at auth still live, without the password.
      await phone.locator('#sign-in').click();
      await phone.locator('#signed-in-as, #login-form').first().waitFor({ state: 'visible' });
      if (await phone.locator('#login-form').isVisible()) {
        await phone.locator('#email').fill(email);
        await phone.locator('#password').fill(PASSWORD);
        await phone.locator('#login-form button[type="submit"]').click();
      }
      await phone.locator('#signed-in-as').waitFor({ state: 'visible' });

      await laptop.goto(`${suite.gateway.url}/account`);
      await laptop.locator('#sign-out-everywhere').click();
      await laptop.locator('#sign-in').waitFor({ state: 'visible' });
      await screenshot(laptop, 'web-app-signed-out-everywhere');

      // Without reloading: the phone's next API call answers 401 and the app shows the signed-out state.
      await phone.locator('#order-form button[type="submit"]').click();
      await phone.locator('body[data-state="signed-out"]').waitFor({ timeout: 10_000 });
      await expectSignedOutOnReload(phone);
      await screenshot(phone, 'web-app-other-browser-signed-out');
    });
  });

  it('a third-party client gets the consent page listing the scopes it asks for', async () => {
    const email = await registerUser(suite.auth.url, 'browser-c');
    const { page } = await newPerson(browser);
    const { challenge } = pkce();
    const landed: string[] = [];
    await page.route(`${THIRD_PARTY.redirectUri}**`, async (route) => {
      landed.push(route.request().url());
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'the client' });
    });
    const authorize = new URL(`${suite.authUrl}/oauth/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: THIRD_PARTY.clientId,
      redirect_uri: THIRD_PARTY.redirectUri,
      scope: 'orders:read',
      state: 'state-123',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    await page.goto(authorize.toString());
    await page.locator('#email').fill(email);
    await page.locator('#password').fill(PASSWORD);
    await page.locator('#login-form button[type="submit"]').click();

    await page.locator('#consent-form').waitFor({ state: 'visible' });
    expect(await page.locator('#consent-scopes li').allTextContents()).toEqual([expect.stringContaining('orders:read')]);
    await screenshot(page, 'auth-consent');
    await page.locator('#consent-form button[value="allow"]').click();
    await page.waitForURL(`${THIRD_PARTY.redirectUri}**`);
    const back = new URL(landed.at(-1)!);
    expect(back.searchParams.get('state')).toBe('state-123');
    expect(back.searchParams.get('iss')).toBe(suite.authUrl);
    expect(back.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  });

  it('a wrong password shows the uniform message and sets no cookie', async () => {
    const email = await registerUser(suite.auth.url, 'browser-d');
    const { context, page } = await newPerson(browser);
    await page.goto(`${suite.gateway.url}/`);
    await page.locator('#sign-in').click();
    await page.locator('#login-form').waitFor({ state: 'visible' });
    const before = await cookieNames(context, suite.authUrl);

    await page.locator('#email').fill(email);
    await page.locator('#password').fill('not the password at all');
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login');
    await page.locator('#login-form button[type="submit"]').click();
    const refused = await answer;
    expect(refused.status()).toBe(401);
    expect(await refused.headerValue('set-cookie')).toBeNull();

    const error = page.locator('#login-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.getAttribute('role')).toBe('alert');
    expect((await error.textContent())!.trim()).not.toBe('');
    // The form is back, ready for another try, and the browser holds no new cookie anywhere.
    await page.locator('#login-form').waitFor({ state: 'visible' });
    expect(await cookieNames(context, suite.authUrl)).toEqual(before);
    expect(await cookieNames(context, suite.gateway.origin)).not.toContain(suite.gateway.config.gateway.sessionCookieName);
    expect((await cookieNames(context, suite.authUrl)).filter((n) => /sso/i.test(n))).toEqual([]);
    await screenshot(page, 'auth-login-wrong-password');
  });
});
