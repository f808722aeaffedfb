import { launchChromium, newTestApp, screenshot, type TestApp } from '@authmesh/testing';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { GatewayConfig } from '../../apps/gateway/src/config/gateway.config.js';
import { gatewayApp } from '../../apps/gateway/src/gateway.app.js';
import { ASSET_CACHE_CONTROL, HTML_CACHE_CONTROL, WEB_APP_CSP } from '../../apps/gateway/src/web/web-app.plugin.js';

/**
 * The web app's files and headers, and its signed-out state in Chromium, against a gateway alone:
 * signed out, the pages need no upstream (GET /session answers from the gateway itself), so nothing
 * answers on port 9 (discard).
 */
const NOWHERE = 'http://127.0.0.1:9';
const AUTH_PUBLIC = 'https://auth.example.test';

describe('gateway web app: pages, headers and the signed-out state (e2e, Chromium)', () => {
  let gateway: TestApp<GatewayConfig>;
  let browser: Browser;

  beforeAll(async () => {
    gateway = await newTestApp(gatewayApp, {
      AUTH_ISSUER: AUTH_PUBLIC,
      AUTH_JWKS_URI: `${NOWHERE}/.well-known/jwks.json`,
      AUTH_URL: NOWHERE,
      GATEWAY_AUTH_PUBLIC_URL: AUTH_PUBLIC,
      ORDERS_URL: NOWHERE,
      PROFILES_URL: NOWHERE,
      GATEWAY_CLIENT_SECRET: 'gateway-secret-0123456789AbCdEfGhIjKl',
      GATEWAY_REDIS_KEY_PREFIX: `test:gw-web-${randomBytes(4).toString('hex')}:`,
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  describe.each([
    ['/', 'index.html'],
    ['/account', 'account.html'],
  ])('GET %s', (path) => {
    let res: Response;
    let html: string;
    beforeAll(async () => {
      res = await fetch(`${gateway.url}${path}`);
      html = await res.text();
    });

    it('answers the page with the strict CSP, nosniff, no framing, and revalidated caching', () => {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toBe(WEB_APP_CSP);
      expect(WEB_APP_CSP).toContain("script-src 'self'");
      expect(WEB_APP_CSP).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe(HTML_CACHE_CONTROL);
      expect(res.headers.get('etag')).toBeTruthy();
    });

    it('has no inline script or style (the CSP would block them: everything comes from /assets/)', () => {
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attrs, body] of scripts) {
        expect(attrs).toMatch(/\bsrc="\/assets\/[a-z-]+\.js"/);
        expect(body!.trim()).toBe('');
      }
      expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    });

    it('is revalidated with its ETag: 304 when unchanged', async () => {
      const again = await fetch(`${gateway.url}${path}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    });
  });

  it('serves the modules as JavaScript and the stylesheet as CSS, cached briefly', async () => {
    for (const [file, type] of [
      ['app.js', /^(text|application)\/javascript/],
      ['account.js', /^(text|application)\/javascript/],
      ['session.js', /^(text|application)\/javascript/],
      ['app.css', /^text\/css/],
    ] as const) {
      const res = await fetch(`${gateway.url}/assets/${file}`);
      expect([file, res.status]).toEqual([file, 200]);
      expect(res.headers.get('content-type')).toMatch(type);
      expect(res.headers.get('cache-control')).toBe(ASSET_CACHE_CONTROL);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('serves nothing outside apps/gateway/web/assets (path traversal, dotfiles, the pages themselves)', async () => {
    for (const path of [
      '/assets/../src/gateway.app.ts',
      '/assets/%2e%2e/%2e%2e/src/gateway.app.ts',
      '/assets/..%2f..%2fsrc%2fgateway.app.ts',
      '/assets/%2e%2e/index.html',
      '/assets/.env',
      '/assets/',
      '/assets/nothing-here.js',
    ]) {
      const res = await fetch(`${gateway.url}${path}`);
      const body = await res.text();
      expect([path, res.status >= 400 && res.status < 500]).toEqual([path, true]);
      expect(body).not.toContain('gatewayApp');
      expect(body).not.toContain('<html');
    }
  });

  it("GET /app-config.json names auth's change-password page, coming back to /account", async () => {
    const res = await fetch(`${gateway.url}/app-config.json`);
    expect(res.status).toBe(200);
    const origin = gateway.config.gateway.publicOrigin;
    expect(await res.json()).toEqual({
      authUrl: AUTH_PUBLIC,
      changePasswordUrl: `${AUTH_PUBLIC}/account/password?return_to=${encodeURIComponent(`${origin}/account`)}`,
    });
  });

  describe('in Chromium, signed out', () => {
    let page: Page;
    const problems: string[] = [];

    beforeAll(async () => {
      const context = await browser.newContext();
      page = await context.newPage();
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });
    });

    it('shows "Sign in", a link to the code flow coming back to the page, and no error', async () => {
      await page.goto(`${gateway.url}/`);
      const signIn = page.locator('#sign-in');
      await signIn.waitFor({ state: 'visible' });
      expect(await signIn.getAttribute('href')).toBe('/session/login?return_to=/');
      expect(await page.locator('#orders').isVisible()).toBe(false);
      expect(await page.locator('#sign-out').isVisible()).toBe(false);
      await screenshot(page, 'web-app-signed-out');
      expect(problems).toEqual([]);
    });

    it('the account page, signed out, offers "Sign in" back to /account', async () => {
      await page.goto(`${gateway.url}/account`);
      const signIn = page.locator('#sign-in');
      await signIn.waitFor({ state: 'visible' });
      expect(await signIn.getAttribute('href')).toBe('/session/login?return_to=/account');
      expect(await page.locator('#sessions').isVisible()).toBe(false);
      await screenshot(page, 'web-app-account-signed-out');
      expect(problems).toEqual([]);
    });

    it('does not run a script injected into the page (the CSP at work: the XSS that would read the CSRF token)', async () => {
      await page.goto(`${gateway.url}/`);
      await page.locator('#sign-in').waitFor({ state: 'visible' });
      // Page code as a string: this project's TypeScript has no DOM types.
      const outcome = await page.evaluate<{ ran: boolean; violated: string | undefined }>(`new Promise((done) => {
        let violated;
        document.addEventListener('securitypolicyviolation', (e) => (violated = e.effectiveDirective));
        const s = document.createElement('script');
        s.textContent = 'document.body.dataset.injected = "ran"';
        document.body.append(s);
        setTimeout(() => done({ ran: document.body.dataset.injected === 'ran', violated }), 200);
      })`);
      expect(outcome).toEqual({ ran: false, violated: 'script-src-elem' });
      problems.length = 0; // the refused script is reported on the console, as it should be
    });
  });
});
