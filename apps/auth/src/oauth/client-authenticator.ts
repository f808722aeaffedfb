import { Injectable } from '@nestjs/common';
import type { CachedClientRecord } from '../clients/client-record-cache.js';
import { type AuthenticateOptions, ClientsService } from '../clients/clients.service.js';
import { InvalidClient, InvalidRequest } from './oauth.errors.js';
import type { OAuthParams } from './oauth-params.js';

export interface PresentedClient {
  clientId: string;
  secret: string;
}

/**
 * RFC 6749 §2.3.1 client authentication: HTTP Basic (client_id and secret form-urlencoded, then
 * base64) or `client_id` + `client_secret` in the body; using both is an error (§2.3).
 */
@Injectable()
export class ClientAuthenticator {
  constructor(private readonly clients: ClientsService) {}

  presented(authorization: string | undefined, params: OAuthParams): PresentedClient | undefined {
    const bodyId = params.optional('client_id');
    const bodySecret = params.optional('client_secret');
    if (authorization !== undefined) {
      if (bodySecret !== undefined) throw new InvalidRequest('Use only one client authentication method');
      const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(authorization.trim());
      if (!match) throw new InvalidClient('Malformed Basic authorization header');
      const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 1) throw new InvalidClient('Malformed Basic authorization header');
      try {
        const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
        const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
        if (bodyId !== undefined && bodyId !== clientId) throw new InvalidRequest('client_id does not match the authenticated client');
        return { clientId, secret };
      } catch (e) {
        if (e instanceof InvalidRequest) throw e;
        throw new InvalidClient('Malformed Basic authorization header');
      }
    }
    if (bodySecret !== undefined) {
      if (bodyId === undefined) throw new InvalidClient('client_secret without client_id');
      return { clientId: bodyId, secret: bodySecret };
    }
    return undefined;
  }

  /** The authenticated client; invalid_client (401) when absent or wrong. */
  async require(authorization: string | undefined, params: OAuthParams, options?: AuthenticateOptions): Promise<CachedClientRecord> {
    const presented = this.presented(authorization, params);
    if (!presented) throw new InvalidClient('Client authentication is required');
    return this.clients.authenticate(presented.clientId, presented.secret, options);
  }
}
