/**
 * Scopes that never ride in a login or refresh token, whatever a user's extra scopes say. A login
 * token crosses every hop the user calls (the gateway, each backend's logs); a scope that can
 * change other accounts or the suite itself lives only in a short token whose audience is `auth`
 * alone, obtained by re-entering the password (`POST /auth/admin-token`).
 */
export const PRIVILEGED_SCOPES: ReadonlySet<string> = new Set(['auth:admin']);

/** True for a scope in PRIVILEGED_SCOPES. */
export function isPrivilegedScope(scope: string): boolean {
  return PRIVILEGED_SCOPES.has(scope);
}

/** A space-separated scope string without its privileged scopes. */
export function withoutPrivilegedScopes(scope: string): string {
  return scope
    .split(' ')
    .filter((s) => s !== '' && !isPrivilegedScope(s))
    .join(' ');
}
