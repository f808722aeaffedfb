import type { ClientEntity } from '../clients/client.entity.js';

/** The client-record scope that lets a client introspect any access token (an API gateway, an audit service). */
export const INTROSPECT_SCOPE = 'auth:introspect';

/** What the entitlement reads of an access token. */
export interface IntrospectedClaims {
  readonly aud?: string | string[];
  readonly client_id?: unknown;
}

/**
 * Whether `caller` may see an access token's claims (RFC 7662 §4: the server determines whether
 * the caller may see that token):
 * - the caller is a resource server the token is for: its client id is among the token's `aud`
 *   (RFC 9068 §3: `aud` names the resource server). Not the audiences the caller may *obtain*
 *   tokens for: those name the services it calls, and a client calling profiles has no business
 *   reading tokens meant for profiles;
 * - the token was issued to the caller (`client_id`): a client may check its own tokens;
 * - or the caller's record holds `auth:introspect`.
 */
export function mayIntrospect(caller: Pick<ClientEntity, 'clientId' | 'scopes'>, claims: IntrospectedClaims): boolean {
  if (caller.scopes.includes(INTROSPECT_SCOPE)) return true;
  if (claims.client_id === caller.clientId) return true;
  const audiences = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  return audiences.includes(caller.clientId);
}
