/** What the JWKS cache needs from one HTTP exchange. */
export interface JwksResponse {
  readonly status: number;
  readonly etag?: string;
  readonly cacheControl?: string;
  /** The body of a 200; empty otherwise. */
  readonly body: string;
}

/** One JWKS request. `signal` aborts it (the cache's fetch timeout). Rejects on network errors. */
export type JwksFetcher = (request: { readonly etag?: string; readonly signal: AbortSignal }) => Promise<JwksResponse>;

/** A JWKS larger than this is not a JWKS. */
export const DEFAULT_MAX_JWKS_BYTES = 512 * 1024;

/**
 * The production fetcher: `GET jwksUri` with `If-None-Match` when we hold an ETag (RFC 9110
 * §13.1.2), the body read up to `maxBytes`.
 */
export function httpJwksFetcher(jwksUri: string, maxBytes = DEFAULT_MAX_JWKS_BYTES): JwksFetcher {
  return async ({ etag, signal }) => {
    const headers: Record<string, string> = { accept: 'application/jwk-set+json, application/json' };
    if (etag !== undefined) headers['if-none-match'] = etag;
    const res = await fetch(jwksUri, { headers, signal, redirect: 'follow' });
    const meta = {
      status: res.status,
      etag: res.headers.get('etag') ?? undefined,
      cacheControl: res.headers.get('cache-control') ?? undefined,
    };
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      return { ...meta, body: '' };
    }
    return { ...meta, body: await readCapped(res, maxBytes) };
  };
}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`JWKS response of ${declared} bytes exceeds ${maxBytes}`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error(`JWKS response exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
