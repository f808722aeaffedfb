import { MultipleCredentialsError, TokenMalformedError, TokenMissingError } from './errors.js';

const AUTHORIZATION = 'authorization';

/**
 * The bearer token of a request, from Node's `rawHeaders` (name, value, name, value…). Node keeps
 * only the first of duplicate Authorization headers in `headers`, so only the raw list shows that
 * a request carries two; such a request is rejected (RFC 6750 §3.1 `invalid_request`: "uses more
 * than one method for including an access token").
 */
export function bearerTokenFromRawHeaders(rawHeaders: readonly string[]): string {
  let value: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === AUTHORIZATION.length && name.toLowerCase() === AUTHORIZATION) {
      if (value !== undefined) throw new MultipleCredentialsError('more than one Authorization header');
      value = rawHeaders[i + 1] ?? '';
    }
  }
  if (value === undefined) throw new TokenMissingError('no Authorization header');
  return bearerTokenFromAuthorization(value);
}

/**
 * Parses `Authorization: Bearer <token>`. The scheme is case-insensitive (RFC 7235 §2.1); one or
 * more spaces may follow it; exactly one credential. Another scheme (Basic, DPoP…) is treated as
 * no bearer credentials at all: RFC 6750 §3.1 says not to send an error code then.
 */
export function bearerTokenFromAuthorization(value: string): string {
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.length !== 6 || scheme.toLowerCase() !== 'bearer') throw new TokenMissingError('Authorization scheme is not Bearer');
  let start = space === -1 ? value.length : space + 1;
  while (value.charCodeAt(start) === 32) start++;
  const token = value.slice(start);
  if (token === '') throw new TokenMalformedError('Bearer scheme without a token');
  // Anything after the token (a second credential, auth-params, a comma-joined second header) is
  // left in place here and fails the strict base64url check of the JWS parser.
  return token;
}

/** A request as the HTTP adapters hand it over: Node's own (Express), or wrapping it in `raw` (Fastify). */
export interface RequestWithRawHeaders {
  readonly raw?: { readonly rawHeaders?: readonly string[] };
  readonly rawHeaders?: readonly string[];
}

/**
 * `bearerTokenFromRawHeaders` of a Fastify or Express request: the raw header list, never the
 * parsed `headers` object, so that a second Authorization header cannot hide behind the first.
 */
export function bearerTokenFromRequest(request: RequestWithRawHeaders): string {
  return bearerTokenFromRawHeaders(request.raw?.rawHeaders ?? request.rawHeaders ?? []);
}
