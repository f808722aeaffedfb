/** How long a JWKS response may be used, from its Cache-Control header. */
export type Freshness = { kind: 'max-age'; seconds: number } | { kind: 'no-cache' } | { kind: 'unspecified' };

/**
 * Reads `max-age` (RFC 9111 §5.2.2.1) from a Cache-Control header; `no-cache`/`no-store` mean
 * "revalidate every time" (we then refresh at the shortest interval allowed). `s-maxage` is for
 * shared caches, which we are not.
 */
export function parseCacheControl(header: string | null | undefined): Freshness {
  if (!header) return { kind: 'unspecified' };
  let maxAge: number | undefined;
  for (const directive of header.split(',')) {
    const [rawName, rawValue] = directive.split('=', 2) as [string, string | undefined];
    const name = rawName.trim().toLowerCase();
    if (name === 'no-cache' || name === 'no-store') return { kind: 'no-cache' };
    if (name === 'max-age' && rawValue !== undefined) {
      const value = rawValue.trim().replace(/^"(.*)"$/, '$1');
      if (/^\d{1,10}$/.test(value)) maxAge = Number(value);
    }
  }
  return maxAge === undefined ? { kind: 'unspecified' } : { kind: 'max-age', seconds: maxAge };
}
