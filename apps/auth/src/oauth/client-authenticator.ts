import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLIENT_ID_PATTERN } from '@authmesh/contracts';
import type { CachedClientRecord } from '../clients/client-record-cache.js';
import { type AuthenticateOptions, ClientsService } from '../clients/clients.service.js';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER, ClientAssertionRejected, ClientAssertionVerifier, claimedClientId } from './client-assertion.js';
import { InvalidClient, InvalidRequest } from './oauth.errors.js';
import type { OAuthParams } from './oauth-params.js';

/** How a request authenticated its client: a secret (RFC 6749 §2.3.1) or a signed assertion (RFC 7523 §2.2). */
export type PresentedClient =
  | { method: 'client_secret'; clientId: string; secret: string }
  | { method: 'private_key_jwt'; clientId: string | undefined; assertion: string };

/** The one public description of a refused assertion, whatever the reason (the reason goes to the log). */
const ASSERTION_REFUSED = 'Client authentication failed';

/**
 * A claimed client id that no client can have (CLIENT_ID_PATTERN) is refused before any lookup:
 * a NUL or other junk would otherwise reach Postgres (which refuses a NUL in text: a 500) and the
 * caches. It answers as an unknown client does: invalid_client, the fixed message.
 */
function wellFormedClientId(clientId: string): string {
  if (!CLIENT_ID_PATTERN.test(clientId)) throw new InvalidClient();
  return clientId;
}

/**
 * RFC 6749 §2.3.1 client authentication: HTTP Basic (client_id and secret form-urlencoded, then
 * base64) or `client_id` + `client_secret` in the body; or RFC 7523 §2.2 `private_key_jwt`
 * (`client_assertion_type` + `client_assertion`). Using more than one is an error (§2.3).
 */
@Injectable()
export class ClientAuthenticator {
  private readonly logger = new Logger('ClientAuthenticator');

  constructor(
    private readonly clients: ClientsService,
    @Inject(ClientAssertionVerifier) private readonly assertions: ClientAssertionVerifier,
  ) {}

  presented(authorization: string | undefined, params: OAuthParams): PresentedClient | undefined {
    const bodyId = params.optional('client_id');
    const bodySecret = params.optional('client_secret');
    const assertionType = params.optional('client_assertion_type');
    const assertion = params.optional('client_assertion');
    if (assertionType !== undefined || assertion !== undefined) {
      // RFC 6749 §2.3: a client MUST NOT use more than one authentication method in each request.
      if (authorization !== undefined || bodySecret !== undefined) throw new InvalidRequest('Use only one client authentication method');
      if (assertionType !== CLIENT_ASSERTION_TYPE_JWT_BEARER)
        throw new InvalidRequest(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE_JWT_BEARER}`);
      if (assertion === undefined) throw new InvalidRequest('Missing required parameter: client_assertion');
      return { method: 'private_key_jwt', clientId: bodyId === undefined ? undefined : wellFormedClientId(bodyId), assertion };
    }
    if (authorization !== undefined) {
      if (bodySecret !== undefined) throw new InvalidRequest('Use only one client authentication method');
      const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(authorization.trim());
      if (!match) throw new InvalidClient('Malformed Basic authorization header');
      const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 1) throw new InvalidClient('Malformed Basic authorization header');
      let clientId: string;
      let secret: string;
      try {
        clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
        secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
      } catch {
        throw new InvalidClient('Malformed Basic authorization header');
      }
      if (bodyId !== undefined && bodyId !== clientId) throw new InvalidRequest('client_id does not match the authenticated client');
      return { method: 'client_secret', clientId: wellFormedClientId(clientId), secret };
    }
    if (bodySecret !== undefined) {
      if (bodyId === undefined) throw new InvalidClient('client_secret without client_id');
      return { method: 'client_secret', clientId: wellFormedClientId(bodyId), secret: bodySecret };
    }
    return undefined;
  }

  /** The authenticated client; invalid_client (401) when absent or wrong. */
  async require(authorization: string | undefined, params: OAuthParams, options?: AuthenticateOptions): Promise<CachedClientRecord> {
    const presented = this.presented(authorization, params);
    if (!presented) throw new InvalidClient('Client authentication is required');
    if (presented.method === 'client_secret') return this.clients.authenticate(presented.clientId, presented.secret, options);
    return this.byAssertion(presented.clientId, presented.assertion, options);
  }

  /**
   * For the endpoints where a public client may take part (RFC 6749 §2.1): the authorization_code
   * and refresh_token grants and revocation, whose security rests on PKCE or on holding the token,
   * not on a client secret. A confidential client authenticates as usual; otherwise `client_id`
   * alone names a registered public client (auth method `none`, §3.2.1) — a confidential client's
   * id alone is invalid_client. `undefined`: no credentials and no client_id at all (the caller
   * decides: the first-party user client for refresh/revoke, invalid_client for a code).
   * client_credentials, token exchange and introspection never call this: they stay confidential-only.
   */
  async requireOrPublic(authorization: string | undefined, params: OAuthParams): Promise<CachedClientRecord | undefined> {
    if (this.presented(authorization, params)) return this.require(authorization, params);
    const clientId = params.optional('client_id');
    if (clientId === undefined) return undefined;
    return this.clients.forPublic(wellFormedClientId(clientId));
  }

  /**
   * private_key_jwt: the client is the assertion's `sub` (and `client_id` when sent, RFC 7523 §3
   * item 2 and RFC 7521 §4.2: it must then be the same client). Every refusal is the same
   * invalid_client; a secret client, an unknown or disabled one answer exactly as a bad signature.
   */
  private async byAssertion(bodyId: string | undefined, assertion: string, options?: AuthenticateOptions): Promise<CachedClientRecord> {
    let clientId = bodyId;
    try {
      const claimed = claimedClientId(assertion);
      if (clientId !== undefined && claimed !== clientId)
        throw new ClientAssertionRejected(`sub ${claimed.slice(0, 100)} is not client_id`);
      clientId = claimed;
      const client = await this.clients.forAssertion(clientId, options);
      await this.assertions.verify(assertion, client);
      return client;
    } catch (e) {
      const reason =
        e instanceof ClientAssertionRejected
          ? e.reason
          : e instanceof InvalidClient
            ? 'no enabled private_key_jwt client of that id'
            : undefined;
      if (reason === undefined) throw e; // the database or Redis away: 503, not the client's fault
      this.logger.warn(`private_key_jwt refused for client ${JSON.stringify((clientId ?? '?').slice(0, 100))}: ${reason}`);
      throw new InvalidClient(ASSERTION_REFUSED);
    }
  }
}
