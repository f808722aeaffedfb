import type { ClientEntity } from '../clients/client.entity.js';

/** The client-record scope that lets a client introspect any access token (an API gateway, an audit service). */
export const INTROSPECT_SCOPE = 'auth:introspect';

/**
 * Whether `caller` may see an access token's claims (RFC 7662 §4): the token is for one of the
 * audiences the caller itself may obtain tokens for, or the caller's record holds `auth:introspect`.
 */
export function mayIntrospect(caller: Pick<ClientEntity, 'scopes' | 'audiences'>, aud: string | string[] | undefined): boolean {
  if (caller.scopes.includes(INTROSPECT_SCOPE)) return true;
  const audiences = aud === undefined ? [] : Array.isArray(aud) ? aud : [aud];
  return audiences.some((a) => caller.audiences.includes(a));
}
