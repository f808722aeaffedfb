/** RFC 3986 §2.3 unreserved characters: a percent-encoding of one of them is the character itself. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The form of an HTTP URL that `htu` comparisons use (RFC 9449 §4.3 check 9): without query and
 * fragment, normalised as RFC 3986 §6.2.2 (syntax: lower-case scheme and host, upper-case hex in
 * percent-encodings, unreserved characters decoded, dot segments removed) and §6.2.3 (scheme-based:
 * the default port dropped, an empty path is `/`). The WHATWG URL parser does all of it but the
 * percent-encoding step, which is done here on the path.
 *
 * Throws a TypeError for a string that is not an absolute `http:` or `https:` URL.
 *
 * @example
 * normalizeHtu('HTTPS://Auth.Example:443/oauth/%7etoken?x=1#f') // 'https://auth.example/oauth/~token'
 */
export function normalizeHtu(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('not an absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError('not an http(s) URL');
  parsed.search = '';
  parsed.hash = '';
  const path = parsed.pathname.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
  // `origin` drops userinfo, so it is kept by hand: a proof for `https://u@host/` is not one for `https://host/`.
  const userinfo =
    parsed.username === '' && parsed.password === '' ? '' : `${parsed.username}${parsed.password === '' ? '' : `:${parsed.password}`}@`;
  return `${parsed.protocol}//${userinfo}${parsed.host}${path}`;
}
