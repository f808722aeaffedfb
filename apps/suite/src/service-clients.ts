import { GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE } from '@authmesh/contracts';

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
}

/**
 * The service clients a whole deployment needs: orders → profiles, the gateway, the authctl CLI.
 * Shared by `npm start` (secrets and keys kept under .data/) and `npm run compose:init` (written
 * to the compose env files), so both seed the same clients with the same scopes.
 */
export const SERVICE_CLIENTS: readonly ServiceClient[] = [
  // Orders signs RFC 7523 assertions with its own key: no secret is shared between orders and auth.
  { clientId: 'orders', tokenEndpointAuthMethod: 'private_key_jwt', scopes: ['profiles:read'], audiences: ['profiles'] },
  {
    clientId: 'gateway',
    scopes: ['orders:read', 'orders:write', 'profiles:read', 'profiles:write'],
    audiences: ['orders', 'profiles'],
    // Not every CLIENT_GRANT_TYPES: authorization_code needs registered redirect URIs (the BFF's, issue 18).
    grantTypes: [GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE],
  },
  // The ops CLI talks to auth's admin API with this client (`npm run authctl -- keys list`).
  { clientId: 'authctl', scopes: ['auth:admin'], audiences: ['auth'] },
];
