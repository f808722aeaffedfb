import { AuthorizePageError } from './authorize.errors.js';

/** The hosted change-password page. */
export const ACCOUNT_PASSWORD_PATH = '/account/password';

export function accountPasswordLocation(returnTo: string | undefined): string {
  return returnTo === undefined ? ACCOUNT_PASSWORD_PATH : `${ACCOUNT_PASSWORD_PATH}?return_to=${encodeURIComponent(returnTo)}`;
}

/**
 * A `return_to` link back to an app: only an absolute http(s) URL on the origin of a registered
 * client's redirect or post-logout URI (no open redirect: auth never links or sends a user to an
 * address an attacker chose). Absent → undefined; anything else → an error page.
 */
export function checkedReturnTo(value: unknown, registeredOrigins: ReadonlySet<string>): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (
        (url.protocol === 'https:' || url.protocol === 'http:') &&
        registeredOrigins.has(url.origin) &&
        url.username === '' &&
        url.password === ''
      )
        return url.toString();
    } catch {
      // not a URL: refused below
    }
  }
  throw new AuthorizePageError('invalid_request', 'return_to is not an address of a registered client');
}
