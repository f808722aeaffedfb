import { bearerTokenFromAuthorization } from './bearer-token.js';
import type { DpopRequest } from './dpop-binding.js';
import { DpopProofMalformedError, DpopProofMissingError } from './dpop/errors.js';
import { MultipleCredentialsError, TokenMalformedError, TokenMissingError } from './errors.js';

const AUTHORIZATION = 'authorization';
const DPOP = 'dpop';

/** `Authorization: DPoP <token>` with its one `DPoP` proof header (RFC 9449 §7.1). */
export interface DpopCredentials {
  readonly token: string;
  readonly proof: string;
}

/**
 * What a request presents: the bare token of `Authorization: Bearer` (a string, exactly what
 * `bearerTokenFromRawHeaders` returns, so the Bearer path allocates nothing new), or a DPoP token
 * with its proof.
 */
export type PresentedCredentials = string | DpopCredentials;

/** True for the DPoP form of `PresentedCredentials`. */
export function isDpopCredentials(credentials: PresentedCredentials): credentials is DpopCredentials {
  return typeof credentials !== 'string';
}

/**
 * The credentials of a request, from Node's `rawHeaders` (name, value, name, value…), in one pass:
 *
 * - two Authorization headers: `MultipleCredentialsError` (RFC 6750 §3.1, as for Bearer alone);
 * - `Bearer <token>`: the token (a `DPoP` header next to it is ignored: the token decides, and a
 *   DPoP-bound one is refused as Bearer by the verifier, RFC 9449 §7.2);
 * - `DPoP <token>`: the token and the proof. RFC 9449 §4.3 check 1: "not more than one DPoP HTTP
 *   request header field" — two are `dpop_proof_malformed`, none is `dpop_proof_missing`. Node
 *   joins repeated unknown headers with ", " in `headers`; only `rawHeaders` shows there were two;
 * - no Authorization, or another scheme: `TokenMissingError`.
 */
export function credentialsFromRawHeaders(rawHeaders: readonly string[]): PresentedCredentials {
  let authorization: string | undefined;
  let proof: string | undefined;
  let proofs = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === AUTHORIZATION.length && name.toLowerCase() === AUTHORIZATION) {
      if (authorization !== undefined) throw new MultipleCredentialsError('more than one Authorization header');
      authorization = rawHeaders[i + 1] ?? '';
    } else if (name.length === DPOP.length && name.toLowerCase() === DPOP) {
      proofs++;
      proof = rawHeaders[i + 1] ?? '';
    }
  }
  if (authorization === undefined) throw new TokenMissingError('no Authorization header');
  if (!isDpopScheme(authorization)) return bearerTokenFromAuthorization(authorization);
  let start = 5;
  while (authorization.charCodeAt(start) === 32) start++;
  const token = authorization.slice(start);
  if (token === '') throw new TokenMalformedError('DPoP scheme without a token');
  if (proofs > 1) throw new DpopProofMalformedError(`${proofs} DPoP headers`);
  if (proof === undefined || proof === '') throw new DpopProofMissingError('DPoP scheme without a DPoP header');
  return { token, proof };
}

/** `DPoP` followed by a space (or nothing), case-insensitively (RFC 7235 §2.1: schemes are case-insensitive). */
function isDpopScheme(value: string): boolean {
  if (value.length < 4 || (value.length > 4 && value.charCodeAt(4) !== 32)) return false;
  return value.slice(0, 4).toLowerCase() === DPOP;
}

/**
 * `credentialsFromRawHeaders` of a Fastify or Express request (`raw.rawHeaders` or `rawHeaders`),
 * never the parsed `headers` object, so a second Authorization or DPoP header cannot hide.
 */
export function credentialsFromRequest(request: {
  readonly raw?: { readonly rawHeaders?: readonly string[] };
  readonly rawHeaders?: readonly string[];
}): PresentedCredentials {
  return credentialsFromRawHeaders(request.raw?.rawHeaders ?? request.rawHeaders ?? []);
}

/** The request line and Host as Fastify (`raw` is Node's request) or Express (the request is Node's) hold them. */
export interface HttpRequestLine {
  readonly method?: string;
  readonly url?: string;
  readonly headers?: { readonly host?: string };
  readonly raw?: { readonly method?: string; readonly url?: string };
}

/**
 * What a DPoP proof is checked against: Node's own method and request-target (as received: Express
 * rewrites `url` under a mounted router, Fastify keeps it, `raw.url` is the wire's) and the Host.
 */
export function dpopRequestOf(request: HttpRequestLine): DpopRequest {
  return {
    method: request.raw?.method ?? request.method ?? '',
    target: request.raw?.url ?? (request as { originalUrl?: string }).originalUrl ?? request.url ?? '',
    host: request.headers?.host,
  };
}

/** What `verifyPresented` is given for a Bearer request: never read (only DPoP proofs name a request), so the Bearer path allocates nothing for it. */
export const NO_DPOP_REQUEST: DpopRequest = Object.freeze({ method: '', target: '', host: undefined });
