import { DPOP_SIGNING_ALGS } from '@authmesh/token-verifier';
import { Controller, Get, Headers, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GRANT_TYPES_SUPPORTED } from '@authmesh/contracts';
import { InjectConfig, Public } from '@authmesh/platform';
import { schemaRef } from '@authmesh/platform';
import { ApiHeader, ApiNotModifiedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { AuthConfig } from '../config/auth.config.js';
import { CLIENT_ASSERTION_ALGORITHMS } from '../oauth/client-jwks.js';
import { Keyring } from './keyring.service.js';

/** JWKS and discovery: what verifiers and clients read to trust and find auth. */
@Public()
@Controller('.well-known')
export class WellKnownController {
  constructor(
    private readonly keyring: Keyring,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  @Get('jwks.json')
  @ApiOperation({ summary: 'The JWK Set verifiers trust (ETag; 304 for a matching If-None-Match)' })
  @ApiHeader({ name: 'If-None-Match', required: false })
  @ApiOkResponse({ content: { 'application/jwk-set+json': { schema: schemaRef('Jwks') } } })
  @ApiNotModifiedResponse({ description: 'The JWKS has not changed.' })
  jwks(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    const { body, etag } = this.keyring.jwksDocument();
    // max-age stays shorter than a pending key's publish delay, so verifiers learn a key before it signs.
    void reply.header('cache-control', `public, max-age=${this.config.auth.jwksMaxAgeSeconds}`).header('etag', etag);
    if (ifNoneMatch?.split(',').some((t) => t.trim() === etag)) {
      void reply.status(304).send();
      return;
    }
    void reply.header('content-type', 'application/jwk-set+json').send(body);
  }

  /** RFC 8414 authorization server metadata / OpenID Connect Discovery 1.0 §3, for what exists. */
  @Get('openid-configuration')
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414), also at the OpenID Connect discovery path' })
  @ApiOkResponse({ schema: schemaRef('ServerMetadata') })
  discovery(): Record<string, unknown> {
    return this.metadata();
  }

  @Get('oauth-authorization-server')
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414)' })
  @ApiOkResponse({ schema: schemaRef('ServerMetadata') })
  oauthMetadata(): Record<string, unknown> {
    return this.metadata();
  }

  private metadata(): Record<string, unknown> {
    const issuer = this.config.auth.issuer;
    // What ClientAuthenticator takes (RFC 8414 §2): a secret by Basic or in the body, or an RFC 7523
    // assertion signed with one of the algorithms its verifier allows; at the token endpoint (code
    // and refresh grants) and revocation a public client also names itself alone (`none`).
    // Introspection stays confidential-only.
    const confidential = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
    const withPublic = [...confidential, 'none'];
    const authAlgs = [...CLIENT_ASSERTION_ALGORITHMS];
    return {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      userinfo_endpoint: `${issuer}/oauth/userinfo`,
      end_session_endpoint: `${issuer}/oauth/logout`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      grant_types_supported: [...GRANT_TYPES_SUPPORTED],
      // OAuth 2.1: the code flow only (no implicit, no hybrid), its response in the query.
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      // RFC 7636 §4.2: S256 only; `plain` is refused (it protects nothing against a reader of the request).
      code_challenge_methods_supported: ['S256'],
      // RFC 9207: every authorization response carries `iss`.
      authorization_response_iss_parameter_supported: true,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'sid', 'email', 'email_verified'],
      token_endpoint_auth_methods_supported: withPublic,
      token_endpoint_auth_signing_alg_values_supported: authAlgs,
      revocation_endpoint_auth_methods_supported: withPublic,
      revocation_endpoint_auth_signing_alg_values_supported: authAlgs,
      introspection_endpoint_auth_methods_supported: confidential,
      introspection_endpoint_auth_signing_alg_values_supported: authAlgs,
      scopes_supported: [...new Set(['openid', ...this.config.auth.userScopes, 'auth:admin'])],
      access_token_signing_alg_values_supported: ['RS256'],
      // RFC 9449 §5.1: asymmetric algorithms only, never none or HMAC.
      dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGS],
    };
  }
}
