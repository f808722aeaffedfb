import type { JWTPayload } from 'jose';
import {
  type ActorClaim,
  DpopProofKeyMismatchError,
  DpopProofMissingError,
  MAX_ACTOR_CHAIN,
  TokenMalformedError,
  type VerifiedDpopProof,
  actorChainLength,
  parseActorClaim,
} from '@authmesh/token-verifier';
import type { ClientEntity } from '../clients/client.entity.js';
import { GRANT_TOKEN_EXCHANGE, SCOPE_TOKEN_PATTERN, TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import type { ExchangedTokenLink, LinkOutcome } from '../revocation/exchanged-token-links.js';
import type { AccessTokenIssuer } from '../tokens/access-token.issuer.js';
import type { AccessTokenReader } from '../tokens/access-token.reader.js';
import type { TokenResponse } from '../accounts/login.service.js';
import {
  InvalidClient,
  InvalidDpopProof,
  InvalidGrant,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  UnauthorizedClient,
} from './oauth.errors.js';
import type { OAuthParams } from './oauth-params.js';

/** RFC 8693 §2.2.1 response: an access token, never a refresh token. */
export interface TokenExchangeResponse extends TokenResponse {
  issued_token_type: typeof TOKEN_TYPE_ACCESS_TOKEN;
  refresh_token?: never;
}

/**
 * Whether a token is revoked: its `jti` is blocklisted, or its subject was revoked at or after
 * `iat`. Throws (DependencyUnavailableError → 503) when the revocation data can't be read.
 */
export type RevocationLookup = (jti: string, sub: string, iat: number) => Promise<boolean>;

/**
 * Durably links an issued token to its subject token and client (SessionRevoker), so revoking the
 * subject's jti or disabling the client revokes it; says whether either already happened.
 */
export type ExchangeLinker = (link: ExchangedTokenLink) => Promise<LinkOutcome>;

/** What a token-exchange request asks for, once its parameters are known to be well-formed. */
export interface TokenExchangeRequest {
  subjectToken: string;
  /** The one audience the new token is for. */
  audience: string;
  /** The requested scope, as sent; undefined when absent. */
  scope: string | undefined;
}

/**
 * Reads the RFC 8693 §2.1 parameters. Every problem is `invalid_request`: a missing
 * `subject_token`, a `subject_token_type` other than the access-token URN, an `actor_token` (the
 * authenticated client is the actor; a second party is not supported), a `requested_token_type`
 * other than an access token, and zero or several audiences (`audience`, or `resource` as its
 * synonym, as in client_credentials; exactly one).
 */
export function readTokenExchangeRequest(params: OAuthParams): TokenExchangeRequest {
  const subjectToken = params.required('subject_token');
  const subjectTokenType = params.required('subject_token_type');
  if (subjectTokenType !== TOKEN_TYPE_ACCESS_TOKEN) throw new InvalidRequest(`subject_token_type must be ${TOKEN_TYPE_ACCESS_TOKEN}`);
  if (params.optional('actor_token') !== undefined || params.optional('actor_token_type') !== undefined) {
    throw new InvalidRequest('actor_token is not supported: the authenticated client is the actor');
  }
  const requestedType = params.optional('requested_token_type');
  if (requestedType !== undefined && requestedType !== TOKEN_TYPE_ACCESS_TOKEN) {
    throw new InvalidRequest(`requested_token_type must be ${TOKEN_TYPE_ACCESS_TOKEN}`);
  }
  const audience = params.optional('audience');
  const resource = params.optional('resource');
  if (audience !== undefined && resource !== undefined) throw new InvalidRequest('Send one audience: audience or resource, not both');
  const target = audience ?? resource;
  if (target === undefined) throw new InvalidRequest('Missing required parameter: audience');
  // A repeated parameter is already refused by OAuthParams; a space-separated list is several audiences too.
  if (/\s/.test(target)) throw new InvalidRequest('Exactly one audience is allowed');
  return { subjectToken, audience: target, scope: params.optional('scope') };
}

/** The service a scope belongs to: `orders` for `orders:read`; undefined for a scope without a `service:` prefix. */
export function scopeOwner(scope: string): string | undefined {
  const colon = scope.indexOf(':');
  return colon > 0 ? scope.slice(0, colon) : undefined;
}

/**
 * The scope of the exchanged token, never wider than the subject token's (RFC 8693 §2.1: the
 * server "MAY ... narrow" it; here it always does):
 * - requested: every scope must be one the subject token has, and a prefixed scope must belong to
 *   the audience (`profiles:read` in a token for `orders` is refused, not silently kept);
 * - not requested: the subject token's scopes that belong to the audience. Scopes without a
 *   `service:` prefix are left out, as nothing says which service they are for; a client that
 *   needs one asks for it explicitly.
 * An empty result is `invalid_scope`: the token would be good for nothing at the audience.
 */
export function exchangedScope(requested: string | undefined, subjectScopes: readonly string[], audience: string): string {
  if (requested === undefined) {
    const own = subjectScopes.filter((s) => scopeOwner(s) === audience);
    if (own.length === 0) throw new InvalidScope('The subject_token has no scope for the requested audience');
    return [...new Set(own)].join(' ');
  }
  const scopes = requested.split(' ').filter(Boolean);
  if (scopes.length === 0 || scopes.some((s) => !SCOPE_TOKEN_PATTERN.test(s))) throw new InvalidScope('The scope is malformed');
  const wider = scopes.filter((s) => !subjectScopes.includes(s));
  if (wider.length) throw new InvalidScope(`Scope not granted to the subject_token: ${wider.join(' ').slice(0, 200)}`);
  const foreign = scopes.filter((s) => {
    const owner = scopeOwner(s);
    return owner !== undefined && owner !== audience;
  });
  if (foreign.length) throw new InvalidScope(`Scope not for the requested audience: ${foreign.join(' ').slice(0, 200)}`);
  return [...new Set(scopes)].join(' ');
}

/** A verified, live user access token: what an exchange may act on. */
interface SubjectToken {
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  aud: string[];
  scopes: string[];
  act: ActorClaim | undefined;
  /** RFC 9449 §6.1: the subject token is DPoP-bound (to the user's key). */
  dpopBound: boolean;
  /** Its `cnf.jkt`, when it is a string. */
  jkt: string | undefined;
}

/**
 * The RFC 8693 token-exchange grant: an authenticated client (the gateway) trades a user's access
 * token for one that is good for a single downstream audience, with the same `sub`, scopes no wider
 * than the subject token's, `client_id` = the exchanging client (RFC 9068 §2.2: the client the
 * token was issued to), `act: { sub: <client_id> }` naming it as the actor (RFC 8693 §4.1, nesting
 * an `act` the subject token already had) and an `exp` no later than the subject token's.
 *
 * Every failure of the subject token (signature, `typ`, `iss`, expiry, revocation, a service token
 * instead of a user's) is `invalid_grant`. RFC 8693 §2.2.2 asks for `invalid_request` there; we
 * follow RFC 6749 §5.2 instead, whose `invalid_grant` is exactly "invalid, expired, revoked" and
 * for which the subject_token is the grant, as Spring Authorization Server does: the caller can
 * tell "the user's token is dead" (answer the user 401) from "my request is wrong" (a bug).
 */
export class TokenExchangeGrant {
  constructor(
    private readonly issuer: AccessTokenIssuer,
    private readonly reader: AccessTokenReader,
    private readonly isRevoked: RevocationLookup,
    private readonly link: ExchangeLinker,
    /** AUTH_DPOP_EDGE_CLIENTS: the clients that may rebind a user's bound token to their own key. */
    private readonly edgeClients: readonly string[] = [],
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * `proof`: the actor's verified DPoP proof. With one, the new token is bound to the actor's key
   * (`cnf.jkt`): the gateway exchanges a user's DPoP-bound token for an internal one bound to its
   * own key, so a copy taken on the hop to the service is no more use than the user's token
   * without the user's key. A DPoP-bound subject token is only exchanged WITH an actor proof: an
   * exchange must never turn a sender-constrained token into a bearer one (that would widen it).
   * Nor may it move the binding to just any key (bindingKept).
   */
  async exchange(client: ClientEntity, params: OAuthParams, proof?: VerifiedDpopProof): Promise<TokenExchangeResponse> {
    if (!client.grantTypes.includes(GRANT_TOKEN_EXCHANGE)) throw new UnauthorizedClient('The client may not use the token-exchange grant');
    const request = readTokenExchangeRequest(params);
    // RFC 8707 §2 / RFC 8693 §2.2.2: a target the client may not obtain tokens for.
    if (!client.audiences.includes(request.audience)) throw new InvalidTarget('The client may not obtain tokens for this audience');
    const now = this.clock();
    const subject = await this.verifiedSubject(request.subjectToken, now);
    if (subject.dpopBound) this.bindingKept(client, subject, proof);
    // An exchange narrows, it never widens: a token that was not good for the audience can't become one.
    if (!subject.aud.includes(request.audience)) throw new InvalidTarget('The subject_token is not valid for the requested audience');
    const scope = exchangedScope(request.scope, subject.scopes, request.audience);
    // The verifiers refuse longer chains (MAX_ACTOR_CHAIN); never mint a token they would refuse.
    if (actorChainLength(subject.act) >= MAX_ACTOR_CHAIN) throw new InvalidGrant('The subject_token has too many actors');
    const act: ActorClaim = subject.act === undefined ? { sub: client.clientId } : { sub: client.clientId, act: subject.act };
    const access = await this.issuer.issue(
      {
        sub: subject.sub,
        clientId: client.clientId,
        audience: [request.audience],
        scope,
        act,
        notAfter: new Date(subject.exp * 1000),
        ...(proof === undefined ? {} : { cnfJkt: proof.jkt }),
      },
      now,
    );
    await this.linkToSubject(client, subject, access.jti, access.expiresAt);
    // RFC 8693 §2.2.1: issued_token_type is required; no refresh token (the subject's session owns refreshing).
    return {
      access_token: access.token,
      issued_token_type: TOKEN_TYPE_ACCESS_TOKEN,
      token_type: access.tokenType,
      expires_in: access.expiresIn,
      scope,
    };
  }

  /**
   * A DPoP-bound subject token keeps its binding unless an edge rebinds it. Without this, a
   * stolen bound token is a bearer token again for anyone with the exchange grant: the thief
   * (or a colluding client) exchanges it with a proof of their own key (RFC 9449 §1: a bound
   * token must be useless without the key). So:
   * - the proof must be of the key the subject token is bound to (its holder exchanging it), or
   * - the client is a DPoP edge (AUTH_DPOP_EDGE_CLIENTS), which checked the user's proof for the
   *   user's token before asking, and re-binds it to its own key for the hop to the service; but
   * - never a token that was itself exchanged (has `act`): that is an internal token, bound to
   *   the edge's key, and one copied off the hop to a service would otherwise be re-exchanged
   *   with the edge's client secret and a thief's proof into a token bound to the thief.
   * A mismatch is `invalid_grant` (`dpop_proof_key_mismatch`), as for a `dpop_jkt`-bound code or
   * a bound refresh token (RFC 9449 §10, §5): the proof is valid, the grant is not usable with it.
   */
  private bindingKept(client: ClientEntity, subject: SubjectToken, proof: VerifiedDpopProof | undefined): void {
    if (proof === undefined)
      throw new InvalidDpopProof(
        new DpopProofMissingError('the subject_token is DPoP-bound: the actor must send a DPoP proof to exchange it'),
      );
    if (proof.jkt === subject.jkt) return;
    if (!this.edgeClients.includes(client.clientId))
      throw new InvalidGrant('The subject_token is bound to another DPoP key', DpopProofKeyMismatchError.code);
    if (subject.act !== undefined)
      throw new InvalidGrant('An exchanged DPoP-bound subject_token is never bound to another key', DpopProofKeyMismatchError.code);
  }

  /**
   * The new token carries a new jti and the exchanging client's id: only this link makes it die with
   * its subject token (logout, RFC 7009, refresh-token reuse, admin revocation of the jti) and with
   * its client (disable). It is committed before the token leaves. A revocation racing this exchange
   * either sees the link, or committed first: then the linker finds it still in the outbox, or it
   * has been delivered and the revocation store has it (read again here, after the commit).
   */
  private async linkToSubject(client: ClientEntity, subject: SubjectToken, jti: string, expiresAt: Date): Promise<void> {
    const outcome = await this.link({ jti, subjectJti: subject.jti, clientId: client.clientId, expiresAt });
    // Disabled since it authenticated: the same answer the authenticator gives a disabled client.
    if (outcome === 'client_disabled') throw new InvalidClient();
    if (outcome === 'subject_revoked' || (await this.isRevoked(subject.jti, subject.sub, subject.iat))) {
      throw new InvalidGrant('The subject_token has been revoked');
    }
  }

  /**
   * The subject token verified as fully as introspection does (AccessTokenReader: RS256 against
   * auth's own keyring, `typ` at+jwt, exact `iss`, `exp`/`nbf`), then: still alive now (no clock
   * tolerance here: the new token must have some lifetime left), a user's token, and not revoked.
   */
  private async verifiedSubject(token: string, now: Date): Promise<SubjectToken> {
    const claims = await this.reader.read(token);
    if (!claims) throw new InvalidGrant('The subject_token is not a valid access token from this issuer');
    const subject = subjectOf(claims);
    if (subject.exp <= Math.floor(now.getTime() / 1000)) throw new InvalidGrant('The subject_token has expired');
    // A client-credentials token (sub = client_id) has no user behind it: exchange is for acting on a user's behalf.
    if (subject.sub === claims.client_id) throw new InvalidGrant('The subject_token must be a user access token');
    if (await this.isRevoked(subject.jti, subject.sub, subject.iat)) throw new InvalidGrant('The subject_token has been revoked');
    return subject;
  }
}

/** The claims an exchange needs, typed; a signed token of ours missing one is refused as invalid_grant. */
function subjectOf(claims: JWTPayload): SubjectToken {
  const { sub, jti, iat, exp, aud, scope, client_id: clientId, cnf } = claims as JWTPayload & { cnf?: unknown };
  const audiences = typeof aud === 'string' ? [aud] : aud;
  if (
    typeof sub !== 'string' ||
    sub === '' ||
    typeof jti !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    typeof clientId !== 'string' ||
    !Array.isArray(audiences) ||
    (scope !== undefined && typeof scope !== 'string')
  ) {
    throw new InvalidGrant('The subject_token is not a valid access token from this issuer');
  }
  let act: ActorClaim | undefined;
  try {
    act = parseActorClaim(claims.act);
  } catch (e) {
    if (e instanceof TokenMalformedError) throw new InvalidGrant('The subject_token is not a valid access token from this issuer');
    throw e;
  }
  return {
    sub,
    jti,
    iat,
    exp,
    aud: audiences,
    scopes: scope === undefined ? [] : scope.split(' ').filter(Boolean),
    act,
    // Any cnf counts as bound: auth only writes cnf.jkt, and a token we can't read the binding of is not one to unbind.
    dpopBound: cnf !== undefined,
    jkt:
      typeof cnf === 'object' && cnf !== null && typeof (cnf as { jkt?: unknown }).jkt === 'string'
        ? (cnf as { jkt: string }).jkt
        : undefined,
  };
}
