import { CLIENT_GRANT_TYPES } from '@authmesh/contracts';

/** One service client auth seeds at start-up (AUTH_SEED_CLIENTS), without its secret or keys. */
export interface ServiceClient {
  readonly clientId: string;
  /**
   * `private_key_jwt`: the client gets a generated key pair (its public JWKS seeded at auth, its
   * private key handed to the service) and no secret. Default: a generated secret.
   */
  readonly tokenEndpointAuthMethod?: 'private_key_jwt';
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
  readonly grantTypes?: readonly string[];
  /**
   * The browser-facing client of the deployment (the gateway's BFF): a first-party confidential
   * client of the authorization code flow, whose redirect URIs are only known per deployment (the
   * gateway's public origin), so they are filled in by `codeFlowRegistration` when seeding.
   */
  readonly browserLogin?: true;
}

/** What auth's seed takes for a code-flow client beyond the service-client fields (SeedClient). */
export interface CodeFlowRegistration {
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly firstParty: true;
}

/**
 * The gateway's registration for the code flow at `gatewayPublicOrigin` (GATEWAY_PUBLIC_ORIGIN,
 * no trailing slash): exactly the callback and the post-logout landing page the gateway sends
 * (auth compares redirect URIs as exact strings, RFC 9700 §4.1.3, so any other spelling of the
 * origin is refused — register what the gateway is told its origin is). First-party: the suite's
 * own app, so no consent page.
 */
export function codeFlowRegistration(gatewayPublicOrigin: string): CodeFlowRegistration {
  const origin = gatewayPublicOrigin.replace(/\/+$/, '');
  return { redirectUris: [`${origin}/session/callback`], postLogoutRedirectUris: [`${origin}/`], firstParty: true };
}

/** A service client as auth seeds it: the browser-facing one gets its code-flow registration. */
export function seedFieldsOf(
  client: ServiceClient,
  gatewayPublicOrigin: string,
): Omit<ServiceClient, 'tokenEndpointAuthMethod' | 'browserLogin'> & Partial<CodeFlowRegistration> {
  const { tokenEndpointAuthMethod: _method, browserLogin, ...fields } = client;
  return browserLogin ? { ...fields, ...codeFlowRegistration(gatewayPublicOrigin) } : fields;
}

/**
 * The service clients a whole deployment needs: orders → profiles, the gateway, the authctl CLI.
 * Shared by `npm start` (secrets and keys kept under .data/) and `npm run compose:init` (written
 * to the compose env files), so both seed the same clients with the same scopes.
 */
export const SERVICE_CLIENTS: readonly ServiceClient[] = [
  // Orders signs RFC 7523 assertions with its own key: no secret is shared between orders and auth.
  { clientId: 'orders', tokenEndpointAuthMethod: 'private_key_jwt', scopes: ['profiles:read'], audiences: ['profiles'] },
  // The gateway logs browsers in with the authorization code flow (+ refresh_token for its
  // sessions) and exchanges their tokens (RFC 8693) for one service's audience on every /api route.
  // Audience `auth`: the web app's account page (sessions, sign out everywhere) is auth's API.
  {
    clientId: 'gateway',
    scopes: ['openid', 'orders:read', 'orders:write', 'profiles:read', 'profiles:write'],
    audiences: ['auth', 'orders', 'profiles'],
    grantTypes: [...CLIENT_GRANT_TYPES],
    browserLogin: true,
  },
  // The ops CLI talks to auth's admin API with this client (`npm run authctl -- keys list`).
  { clientId: 'authctl', scopes: ['auth:admin'], audiences: ['auth'] },
];
