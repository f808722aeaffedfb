import type { ClientEntity } from '../clients/client.entity.js';
import { GRANT_AUTHORIZATION_CODE } from '@authmesh/contracts';
import { isPrivilegedScope } from '../tokens/privileged-scopes.js';
import { AuthorizePageError, AuthorizeRedirectError } from './authorize.errors.js';

/** The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1, RFC 8707 `audience`, RFC 9449 §10 `dpop_jkt`). */
export const AUTHORIZATION_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'audience',
  // RFC 9449 §10: the thumbprint of the DPoP key the code is bound to.
  'dpop_jkt',
] as const;
export type AuthorizationParam = (typeof AUTHORIZATION_PARAMS)[number];
export type AuthorizationParams = Partial<Record<AuthorizationParam, string>>;

export type Prompt = 'none' | 'login' | 'consent';

/** A request whose client, redirect URI and PKCE are sound: from here on errors go to the redirect URI. */
export interface ClientBoundRequest {
  client: ClientEntity;
  redirectUri: string;
  state: string | undefined;
  /** The parameters as received, to carry through the login and consent forms. */
  params: AuthorizationParams;
}

export interface AuthorizationRequest extends ClientBoundRequest {
  codeChallenge: string;
  /** Requested scopes, each allowed to the client (`openid` always may be asked); narrowed to the user's after login. */
  scopes: string[];
  audiences: string[];
  nonce: string | undefined;
  /** RFC 9449 §10: only a token request with a DPoP proof of this key may redeem the code. */
  dpopJkt: string | undefined;
  prompts: ReadonlySet<Prompt>;
}

/** BASE64URL(SHA256(verifier)): exactly 43 base64url characters (RFC 7636 §4.2). */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE = 1024;
const MAX_NONCE = 512;
/** An RFC 7638 SHA-256 thumbprint: 43 base64url characters. */
const JKT = /^[A-Za-z0-9_-]{43}$/;
const MAX_SCOPE_OR_AUDIENCE = 2048;

/**
 * Reads the parameters from a query or a form body. RFC 6749 §3.1: a parameter MUST NOT appear
 * twice; one that does is listed in `repeated` (two `redirect_uri`s must never let one be checked
 * and the other used).
 */
export function readAuthorizationParams(source: unknown): { params: AuthorizationParams; repeated: AuthorizationParam[] } {
  const params: AuthorizationParams = {};
  const repeated: AuthorizationParam[] = [];
  const record = typeof source === 'object' && source !== null ? (source as Record<string, unknown>) : {};
  for (const name of AUTHORIZATION_PARAMS) {
    const value = record[name];
    if (value === undefined) continue;
    if (typeof value === 'string') params[name] = value;
    else repeated.push(name);
  }
  return { params, repeated };
}

/** Step 1: the client id (an error page when it is missing or repeated). */
export function requestedClientId(read: ReturnType<typeof readAuthorizationParams>): string {
  if (read.repeated.includes('client_id')) throw new AuthorizePageError('invalid_request', 'client_id was sent more than once');
  const id = read.params.client_id;
  if (!id) throw new AuthorizePageError('invalid_request', 'client_id is missing');
  return id;
}

/**
 * Steps 2 and 3, which end in an error page: a known, enabled client; a redirect URI that is one
 * of its registered ones, compared as exact strings (RFC 9700 §4.1.3: no prefix, no trailing-slash
 * or query leniency); an S256 PKCE challenge (`plain`, or none, is refused: OAuth 2.1 §4.1.1).
 * Then the rest, whose errors go to the redirect URI.
 */
export function validateAuthorizationRequest(
  read: ReturnType<typeof readAuthorizationParams>,
  client: ClientEntity | null,
): AuthorizationRequest {
  if (!client || !client.enabled) throw new AuthorizePageError('invalid_client', 'Unknown client');
  const { params, repeated } = read;
  if (repeated.includes('redirect_uri')) throw new AuthorizePageError('invalid_request', 'redirect_uri was sent more than once');
  const redirectUri = params.redirect_uri;
  if (!redirectUri) throw new AuthorizePageError('invalid_request', 'redirect_uri is missing');
  if (!client.redirectUris.includes(redirectUri))
    throw new AuthorizePageError('invalid_request', 'redirect_uri is not registered for this client');
  if (repeated.includes('code_challenge') || repeated.includes('code_challenge_method'))
    throw new AuthorizePageError('invalid_request', 'PKCE parameters were sent more than once');
  if (params.code_challenge_method !== 'S256')
    throw new AuthorizePageError('invalid_request', 'PKCE with code_challenge_method=S256 is required');
  if (!params.code_challenge || !S256_CHALLENGE.test(params.code_challenge))
    throw new AuthorizePageError('invalid_request', 'code_challenge must be the 43-character BASE64URL(SHA256(code_verifier))');
  const state = repeated.includes('state') ? undefined : params.state;

  const bound = { client, redirectUri, state, params };
  const fail = (error: AuthorizeRedirectError['error'], description: string): never => {
    throw new AuthorizeRedirectError(error, description);
  };
  if (repeated.length) fail('invalid_request', `${repeated.join(', ')} sent more than once`);
  if (state !== undefined && state.length > MAX_STATE) fail('invalid_request', `state is longer than ${MAX_STATE} characters`);
  if (params.response_type !== 'code') fail('unsupported_response_type', 'Only response_type=code is supported');
  if (!client.grantTypes.includes(GRANT_AUTHORIZATION_CODE))
    fail('unauthorized_client', 'This client may not use the authorization code grant');
  const nonce = params.nonce;
  if (nonce !== undefined && (nonce === '' || nonce.length > MAX_NONCE))
    fail('invalid_request', `nonce must be 1 to ${MAX_NONCE} characters`);
  if (params.dpop_jkt !== undefined && !JKT.test(params.dpop_jkt))
    fail('invalid_request', 'dpop_jkt must be the 43-character RFC 7638 SHA-256 thumbprint of the DPoP key');
  if ((params.scope?.length ?? 0) > MAX_SCOPE_OR_AUDIENCE || (params.audience?.length ?? 0) > MAX_SCOPE_OR_AUDIENCE)
    fail('invalid_request', 'scope or audience is too long');

  const requestedScopes = params.scope === undefined ? undefined : words(params.scope);
  const scopes = requestedScopes ?? client.scopes.filter((s) => !isPrivilegedScope(s));
  // Privileged scopes (auth:admin) never come from a browser login, even for a client that has them
  // (docs/architecture.md, "Token rules": only the password step-up of POST /auth/admin-token).
  const refused = scopes.filter((s) => s !== 'openid' && (!client.scopes.includes(s) || isPrivilegedScope(s)));
  if (refused.length) fail('invalid_scope', `Scope not allowed for this client: ${refused.join(' ')}`);
  const audiences = params.audience === undefined ? [...client.audiences] : words(params.audience);
  const foreign = audiences.filter((a) => !client.audiences.includes(a));
  if (foreign.length) fail('invalid_target', `Audience not allowed for this client: ${foreign.join(' ')}`);
  if (audiences.length === 0) fail('invalid_target', 'No audience requested');

  const prompts = new Set<Prompt>();
  for (const p of params.prompt === undefined ? [] : words(params.prompt)) {
    if (p !== 'none' && p !== 'login' && p !== 'consent') fail('invalid_request', `Unsupported prompt value: ${p}`);
    prompts.add(p as Prompt);
  }
  // OIDC Core §3.1.2.1: none with any other value is an error.
  if (prompts.has('none') && prompts.size > 1) fail('invalid_request', 'prompt=none cannot be combined with other values');

  return {
    ...bound,
    codeChallenge: params.code_challenge,
    scopes: [...new Set(scopes)],
    audiences: [...new Set(audiences)],
    nonce,
    dpopJkt: params.dpop_jkt,
    prompts,
  };
}

/** The client-bound part of a request whose later checks failed, to redirect the error to it; undefined while the redirect URI is not trusted. */
export function clientBoundPart(read: ReturnType<typeof readAuthorizationParams>, client: ClientEntity): ClientBoundRequest {
  return {
    client,
    redirectUri: read.params.redirect_uri!,
    state: read.repeated.includes('state') ? undefined : read.params.state,
    params: read.params,
  };
}

function words(value: string): string[] {
  return value.split(' ').filter((w) => w !== '');
}
