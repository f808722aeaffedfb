/**
 * The rules every registered redirect URI (and post-logout redirect URI) follows, for the admin
 * API and AUTH_SEED_CLIENTS alike. Registration is strict because matching is exact (RFC 9700
 * §4.1.3: string comparison, no patterns): what is registered is exactly where codes may go.
 */

/** At most this many redirect URIs per list and client. */
export const MAX_REDIRECT_URIS = 20;
/** Longest redirect URI accepted (browsers and proxies cut URLs around 2 KB). */
export const MAX_REDIRECT_URI_LENGTH = 2000;

/** RFC 8252 §7.3 / RFC 9700 §2.1: plain http only to the device itself (a native app's loopback listener). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A space or a C0/DEL control character: the URL parser would strip or encode it, so the registered string would not be what is matched. */
function hasWhitespaceOrControl(uri: string): boolean {
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || /\s/.test(uri[i]!)) return true;
  }
  return false;
}

/** What is wrong with one redirect URI; empty when it may be registered. */
export function redirectUriProblems(uri: string): string[] {
  const quoted = JSON.stringify(uri.slice(0, 100));
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return [`redirect URI ${quoted}… is longer than ${MAX_REDIRECT_URI_LENGTH} characters`];
  // A wildcard is a pattern, and patterns are what open redirects are made of (RFC 9700 §4.1.1).
  if (uri.includes('*')) return [`redirect URI ${quoted} contains "*": wildcards are not allowed, register each URI exactly`];
  // RFC 6749 §3.1.2: the redirection endpoint URI MUST NOT include a fragment component.
  if (uri.includes('#')) return [`redirect URI ${quoted} has a fragment: not allowed (RFC 6749 §3.1.2)`];
  if (hasWhitespaceOrControl(uri)) return [`redirect URI ${quoted} contains whitespace or a control character`];
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return [`redirect URI ${quoted} is not an absolute URI`];
  }
  if (url.username || url.password) return [`redirect URI ${quoted} has credentials in it`];
  if (url.protocol === 'https:') return [];
  if (url.protocol === 'http:') {
    if (LOOPBACK_HOSTS.has(url.hostname)) return [];
    return [`redirect URI ${quoted} uses http on a host that is not loopback: use https (http only for localhost, 127.0.0.1, [::1])`];
  }
  // Private-use schemes of native apps (RFC 8252 §7.1) are not supported yet: refused rather than half-checked.
  return [`redirect URI ${quoted} must be https (or http on a loopback host), not ${url.protocol.replace(/:$/, '')}`];
}

/** Problems with a whole list (its size, repeats, each URI); `field` names it in the messages. */
export function redirectUriListProblems(uris: readonly string[], field = 'redirectUris'): string[] {
  const problems: string[] = [];
  if (uris.length > MAX_REDIRECT_URIS) problems.push(`${field} has ${uris.length} URIs: at most ${MAX_REDIRECT_URIS}`);
  if (new Set(uris).size !== uris.length) problems.push(`${field} repeats a URI`);
  for (const uri of uris) problems.push(...redirectUriProblems(uri));
  return problems;
}

/**
 * Whether `presented` is one of `registered`: plain string equality, on purpose. No normalisation
 * (a trailing slash, a query, case or an encoded character makes another URI), so nothing an
 * attacker can craft matches a registration it differs from (RFC 9700 §4.1.3, OAuth 2.1 §7.5.3).
 */
export function isRegisteredRedirectUri(registered: readonly string[], presented: string): boolean {
  return registered.includes(presented);
}
