/**
 * A client-credentials token carries `sub` = `client_id`, and users' subjects are UUIDs: a client
 * named like a UUID would share a subject with a user (its tokens would pass as that user's, and
 * revoking one would revoke the other). Client ids and user ids must stay disjoint.
 */
const UUID_SHAPED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why a well-formed client id may still not be used (empty when it may): the admin API and AUTH_SEED_CLIENTS both check it. */
export function reservedClientIdProblems(clientId: string, userClientId: string): string[] {
  const problems: string[] = [];
  // The first-party public client's id: a confidential client by that name would authenticate as
  // it, and could introspect users' refresh tokens (they are bound to that client id).
  if (clientId === userClientId) problems.push(`clientId "${clientId}" is reserved for the first-party user client`);
  if (UUID_SHAPED.test(clientId))
    problems.push('clientId must not look like a UUID: user subjects are UUIDs, and a client id is its subject');
  return problems;
}
