import { AppError } from '@authmesh/platform';
import type { Principal } from '@authmesh/token-verifier';

export class ServiceTokenRequired extends AppError {
  static readonly code = 'service_token_required';
  readonly code = ServiceTokenRequired.code;
  readonly status = 403;
  constructor() {
    super('This endpoint is for service callers only');
  }
}

export class ClientNotAllowed extends AppError {
  static readonly code = 'client_not_allowed';
  readonly code = ClientNotAllowed.code;
  readonly status = 403;
  constructor(clientId: string) {
    super('This client may not read other users’ profiles', { detail: `client_id ${clientId} is not in PROFILES_SERVICE_CLIENTS` });
  }
}

/**
 * Reading any user's profile is for allow-listed services acting for themselves: a
 * client-credentials token (sub === client_id) of a listed client. A user token never passes,
 * whatever its scopes (it has `profiles:read` for its own profile).
 */
export function assertAllowedServiceCaller(principal: Principal, allowedClients: ReadonlySet<string>): void {
  if (!principal.isService) throw new ServiceTokenRequired();
  if (!allowedClients.has(principal.clientId)) throw new ClientNotAllowed(principal.clientId);
}
