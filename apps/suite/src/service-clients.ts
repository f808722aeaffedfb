import { CLIENT_GRANT_TYPES } from '@authmesh/contracts';

/** One service client auth seeds at start-up (AUTH_SEED_CLIENTS), without its secret. */
export interface ServiceClient {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
  readonly grantTypes?: readonly string[];
}

/**
 * The service clients a whole deployment needs: orders → profiles, the gateway, the authctl CLI.
 * Shared by `npm start` (secrets kept under .data/) and `npm run compose:init` (secrets written
 * to the compose env files), so both seed the same clients with the same scopes.
 */
export const SERVICE_CLIENTS: readonly ServiceClient[] = [
  { clientId: 'orders', scopes: ['profiles:read'], audiences: ['profiles'] },
  {
    clientId: 'gateway',
    scopes: ['orders:read', 'orders:write', 'profiles:read', 'profiles:write'],
    audiences: ['orders', 'profiles'],
    grantTypes: [...CLIENT_GRANT_TYPES],
  },
  // The ops CLI talks to auth's admin API with this client (`npm run authctl -- keys list`).
  { clientId: 'authctl', scopes: ['auth:admin'], audiences: ['auth'] },
];
