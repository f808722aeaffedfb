/** Longest return path kept; anything longer goes to `/`. */
const MAX_RETURN_TO = 2000;

/**
 * Where a login may send the browser back to: a same-origin absolute path only, else `/`. An
 * open redirect (RFC 9700 §4.11) would let a link to our login send a freshly signed-in user to a
 * phishing page. Refused: absolute URLs, scheme-relative `//evil`, `/\evil` (browsers read `\`
 * as `/`), control characters and whitespace (which browsers strip before parsing, turning
 * `/\t/evil` into `//evil`), and anything that resolves to another origin.
 */
export function safeReturnTo(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_RETURN_TO) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f]/.test(raw)) return '/';
  const base = 'https://gateway.invalid';
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return '/';
  }
  if (url.origin !== base) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}
