import { freePort, type TestApp } from '@authmesh/testing';
import { createHash, randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { newAuthApp } from '../../../apps/auth/test/auth-fixture.js';
import type { GatewayConfig } from '../../../apps/gateway/src/config/gateway.config.js';
import {
  GATEWAY_CLIENT,
  ORDERS_CLIENT,
  PASSWORD,
  PROXY_SECRET,
  registerUser,
  startGateway,
  startServices,
} from '../../gateway/support/gateway-fixture.js';

export { PASSWORD, registerUser };

/**
 * A third-party client (first_party=false), public (PKCE alone, no secret): the consent page is
 * shown for it. Its redirect URI is never listened on; the browser test intercepts it.
 */
export const THIRD_PARTY = {
  clientId: 'third-party-app',
  redirectUri: 'http://127.0.0.1:9/callback',
  scopes: ['orders:read'],
  audiences: ['orders'],
};

/** The four services of a browser test, each at its own origin. */
export interface WebSuite {
  auth: TestApp;
  /** Auth as the browser reaches it: `http://localhost:<port>` (its issuer too). */
  authUrl: string;
  gateway: TestApp<GatewayConfig> & { origin: string };
  close(): Promise<void>;
}

/**
 * Auth, orders, profiles and the gateway in this process, on real sockets, auth at
 * `http://localhost:<port>` and the gateway at `http://127.0.0.1:<port>`: two hosts, so two cookie
 * jars as two sites would have (cookies are per host, not per port), and the SSO cookie and the
 * gateway's session never see each other. The gateway is the first-party confidential client of the
 * code flow; a public third-party client is seeded for the consent page.
 */
export async function startWebSuite(): Promise<WebSuite> {
  const authPort = await freePort();
  const authUrl = `http://localhost:${authPort}`;
  const gatewayPort = await freePort();
  const gatewayOrigin = `http://127.0.0.1:${gatewayPort}`;
  // The gateway's first-party confidential client, registered for this gateway's origin only.
  const gatewayClient = {
    ...GATEWAY_CLIENT,
    redirectUris: [`${gatewayOrigin}/session/callback`],
    postLogoutRedirectUris: [`${gatewayOrigin}/`],
  };
  const thirdParty = {
    clientId: THIRD_PARTY.clientId,
    public: true,
    scopes: THIRD_PARTY.scopes,
    audiences: THIRD_PARTY.audiences,
    grantTypes: ['authorization_code'],
    redirectUris: [THIRD_PARTY.redirectUri],
    firstParty: false,
  };
  const auth = await newAuthApp({
    PORT: String(authPort),
    AUTH_ISSUER: authUrl,
    AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, gatewayClient, thirdParty]),
    AUTH_PROXY_SECRET: PROXY_SECRET,
  });
  const issuer = { AUTH_ISSUER: authUrl };
  let services: Awaited<ReturnType<typeof startServices>> | undefined;
  try {
    services = await startServices(auth, issuer);
    const gateway = await startGateway(
      { auth, ordersUrl: services.orders.url, profilesUrl: services.profiles.url },
      { ...issuer, PORT: String(gatewayPort), GATEWAY_PUBLIC_ORIGIN: gatewayOrigin, GATEWAY_AUTH_PUBLIC_URL: authUrl },
    );
    const started = services;
    return {
      auth,
      authUrl,
      gateway,
      close: async () => {
        await gateway.close();
        await started.orders.close();
        await started.profiles.close();
        await auth.close();
      },
    };
  } catch (e) {
    await services?.orders.close();
    await services?.profiles.close();
    await auth.close();
    throw e;
  }
}

/**
 * Signs in through the page as a person would: "Sign in" on the app, the hosted login form at
 * auth, and back to the app signed in. `expectForm: false` when the context already has a live
 * SSO session at auth (no form is shown: single sign-on).
 */
export async function signInThroughThePage(
  page: Page,
  suite: WebSuite,
  email: string,
  options: { password?: string; path?: string; onLoginPage?: (page: Page) => Promise<void> } = {},
): Promise<void> {
  await page.goto(`${suite.gateway.url}${options.path ?? '/'}`);
  await page.locator('#sign-in').click();
  await page.locator('#login-form').waitFor({ state: 'visible' });
  await options.onLoginPage?.(page);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(options.password ?? PASSWORD);
  await page.locator('#login-form button[type="submit"]').click();
  await page.locator('#signed-in-as').waitFor({ state: 'visible' });
}

/** A fresh browser context (its own cookie jar: another browser, another device). */
export async function newPerson(contexts: { newContext(): Promise<BrowserContext> }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await contexts.newContext();
  return { context, page: await context.newPage() };
}

/** A PKCE pair (RFC 7636 §4.1-4.2, S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The cookies a context holds for one origin, by name. */
export async function cookieNames(context: BrowserContext, url: string): Promise<string[]> {
  return (await context.cookies(url)).map((c) => c.name);
}
