import { launchChromium, screenshot } from '@authmesh/testing';
import type { Browser, Page } from 'playwright-core';
import { type WebSuite, newPerson, registerUser, signInThroughThePage, startWebSuite } from './support/web-suite.js';

/**
 * The account page's API keys in Chromium against the real suite (issue 22): create one (shown
 * once), call the API with it through the gateway, revoke it from the page, and the key is refused.
 */
describe('web app in Chromium: API keys on the account page (e2e)', () => {
  let suite: WebSuite;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    suite = await startWebSuite();
    ({ page } = await newPerson(browser));
    await signInThroughThePage(page, suite, await registerUser(suite.auth.url, 'browser-keys'));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await suite?.close();
  });

  const callWithKey = (key: string) => fetch(`${suite.gateway.url}/api/orders`, { headers: { 'x-api-key': key } });

  it('creates a key shown once, which reaches /api/orders; revoking it on the page makes the gateway refuse it', async () => {
    await page.goto(`${suite.gateway.url}/account`);
    await page.locator('#api-key-name').fill('nightly export');
    await page.locator('#create-api-key').click();
    await page.locator('#new-api-key').waitFor({ state: 'visible' });
    const key = (await page.locator('#new-api-key-value').textContent()) ?? '';
    expect(key).toMatch(/^amk_live_[0-9A-Za-z]{49}$/);
    await page.locator('#api-keys tbody tr[data-state="active"]').waitFor();
    // The list shows the prefix only.
    expect(await page.locator('#api-keys tbody').textContent()).not.toContain(key);
    await screenshot(page, 'web-app-account-api-key-created');

    expect((await callWithKey(key)).status).toBe(200);

    await page.locator('#api-keys .revoke-api-key').click();
    await page.locator('#api-keys tbody tr[data-state="revoked"]').waitFor();
    await screenshot(page, 'web-app-account-api-key-revoked');
    let status = (await callWithKey(key)).status;
    for (let i = 0; status === 200 && i < 20; i++) status = (await callWithKey(key)).status;
    expect(status).toBe(401);
  });
});
