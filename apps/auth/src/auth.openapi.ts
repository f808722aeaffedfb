import type { OpenApiSpec } from '@authmesh/platform';
import { SCOPES_KEY } from '@authmesh/token-verifier';
import type { SchemaObject } from '@nestjs/swagger';
import { GRANT_TOKEN_EXCHANGE, GRANT_TYPES_SUPPORTED, TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import type { AuthConfig } from './config/auth.config.js';

/** The security scheme of a confidential client at the OAuth endpoints (RFC 6749 §2.3.1). */
export const CLIENT_BASIC_SCHEME = 'clientBasic';

const ISO = (nullable: boolean): SchemaObject => ({ type: nullable ? ['string', 'null'] : 'string', format: 'date-time' });
const KEY_STATE: SchemaObject = { type: 'string', enum: ['pending', 'active', 'retiring', 'retired', 'revoked'] };
const OAUTH_PARAM = (description: string): SchemaObject => ({ type: 'string', maxLength: 8192, description });
const CLIENT_PARAMS: Record<string, SchemaObject> = {
  client_id: OAUTH_PARAM(
    'client_secret_post (RFC 6749 §2.3.1), instead of HTTP Basic; alone: a public client (auth method none) or the first-party user client, only at token (authorization_code, refresh_token) and revoke.',
  ),
  client_secret: OAUTH_PARAM('client_secret_post, with client_id.'),
  client_assertion_type: {
    type: 'string',
    enum: ['urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
    description: 'private_key_jwt (RFC 7523 §2.2).',
  },
  client_assertion: {
    type: 'string',
    maxLength: 4096,
    description:
      'private_key_jwt: a JWT signed (RS256, PS256 or ES256) by a key the client registered; iss = sub = client id, aud = the issuer or token endpoint, exp ≤ 5 min, a jti used once.',
  },
};

/** What auth's handlers answer and what its OAuth endpoints take (their bodies are read by OAuthParams, not a DTO). */
const AUTH_SCHEMAS: Record<string, SchemaObject> = {
  TokenResponse: {
    type: 'object',
    description: 'RFC 6749 §5.1 (sent with Cache-Control: no-store). Token exchange adds `issued_token_type` (RFC 8693 §2.2.1).',
    required: ['access_token', 'token_type', 'expires_in', 'scope'],
    properties: {
      access_token: { type: 'string', description: 'RS256 JWT; with a DPoP proof (RFC 9449), bound to its key by `cnf.jkt`.' },
      token_type: { type: 'string', enum: ['Bearer', 'DPoP'], description: '`DPoP` when the request carried a DPoP proof (RFC 9449 §5).' },
      expires_in: { type: 'integer', description: 'Seconds.' },
      refresh_token: {
        type: 'string',
        description: 'Login, refresh, and authorization_code for a client with the refresh_token grant; rotated on every use.',
      },
      scope: { type: 'string', description: 'Space-separated granted scopes.' },
      id_token: {
        type: 'string',
        description:
          'authorization_code with scope openid: an OpenID Connect ID token (RS256, typ JWT, aud = the client, nonce, auth_time, at_hash, sid).',
      },
      issued_token_type: { type: 'string', enum: [TOKEN_TYPE_ACCESS_TOKEN] },
    },
  },
  TokenRequest: {
    type: 'object',
    description:
      'RFC 6749 §4.1.3 / §4.4 / §6, RFC 7636 §4.5 and RFC 8693 §2.1 parameters; unknown parameters are ignored, none may repeat.',
    required: ['grant_type'],
    properties: {
      grant_type: { type: 'string', enum: [...GRANT_TYPES_SUPPORTED] },
      code: OAUTH_PARAM('grant_type=authorization_code: the code from the authorization response (single use, ≤ 60 s).'),
      redirect_uri: OAUTH_PARAM('grant_type=authorization_code: exactly the redirect_uri of the authorization request.'),
      code_verifier: OAUTH_PARAM(
        'grant_type=authorization_code: the PKCE verifier (RFC 7636 §4.1: 43-128 unreserved characters; S256 only).',
      ),
      refresh_token: OAUTH_PARAM('grant_type=refresh_token.'),
      scope: OAUTH_PARAM('Space-separated; a subset of what the client (or the refresh family) holds.'),
      audience: OAUTH_PARAM('client_credentials and token exchange: the service the token is for.'),
      resource: OAUTH_PARAM('RFC 8707 alternative to audience.'),
      subject_token: OAUTH_PARAM(`${GRANT_TOKEN_EXCHANGE}: the user access token to exchange.`),
      subject_token_type: OAUTH_PARAM(`${GRANT_TOKEN_EXCHANGE}: ${TOKEN_TYPE_ACCESS_TOKEN}.`),
      requested_token_type: OAUTH_PARAM(`Optional; only ${TOKEN_TYPE_ACCESS_TOKEN}.`),
      ...CLIENT_PARAMS,
    },
  },
  IntrospectionRequest: {
    type: 'object',
    required: ['token'],
    properties: {
      token: OAUTH_PARAM('An access or refresh token.'),
      token_type_hint: { type: 'string', enum: ['access_token', 'refresh_token'] },
      ...CLIENT_PARAMS,
    },
  },
  IntrospectionResponse: {
    type: 'object',
    description: 'RFC 7662 §2.2: `{ active: false }` for any token the caller may not learn about; the claims otherwise.',
    required: ['active'],
    properties: { active: { type: 'boolean' } },
    additionalProperties: true,
  },
  RevocationRequest: {
    type: 'object',
    required: ['token'],
    properties: {
      token: OAUTH_PARAM('An access or refresh token of the caller.'),
      token_type_hint: { type: 'string', enum: ['access_token', 'refresh_token'] },
      ...CLIENT_PARAMS,
    },
  },
  AdminTokenResponse: {
    type: 'object',
    required: ['access_token', 'token_type', 'expires_in', 'scope'],
    properties: {
      access_token: { type: 'string' },
      token_type: { type: 'string', enum: ['Bearer'] },
      expires_in: { type: 'integer' },
      scope: { type: 'string', enum: ['auth:admin'] },
    },
  },
  ClientView: {
    type: 'object',
    required: [
      'clientId',
      'scopes',
      'audiences',
      'grantTypes',
      'tokenEndpointAuthMethod',
      'redirectUris',
      'postLogoutRedirectUris',
      'firstParty',
      'dpopBoundAccessTokens',
      'enabled',
      'createdAt',
    ],
    properties: {
      clientId: { type: 'string' },
      scopes: { type: 'array', items: { type: 'string' } },
      audiences: { type: 'array', items: { type: 'string' } },
      grantTypes: { type: 'array', items: { type: 'string' } },
      tokenEndpointAuthMethod: { type: 'string', enum: ['client_secret_basic', 'private_key_jwt', 'none'] },
      redirectUris: {
        type: 'array',
        items: { type: 'string', format: 'uri' },
        description: 'Exact redirect URIs (authorization code flow).',
      },
      postLogoutRedirectUris: { type: 'array', items: { type: 'string', format: 'uri' } },
      firstParty: { type: 'boolean', description: 'First-party clients skip the consent page.' },
      dpopBoundAccessTokens: { type: 'boolean', description: 'RFC 9449 §5.2: every token request of this client must carry a DPoP proof.' },
      jwks: { type: 'object', description: 'private_key_jwt only: the registered public JWK Set.', required: ['keys'] },
      enabled: { type: 'boolean' },
      createdAt: ISO(false),
    },
  },
  CreatedClientView: {
    description: 'The only answer that ever shows the secret (Cache-Control: no-store); a private_key_jwt or public client has none.',
    allOf: [{ $ref: '#/components/schemas/ClientView' }, { type: 'object', properties: { clientSecret: { type: 'string' } } }],
  },
  KeyView: {
    type: 'object',
    required: [
      'kid',
      'state',
      'alg',
      'bits',
      'createdAt',
      'activatesAt',
      'activatedAt',
      'retiringAt',
      'retireAfter',
      'retiredAt',
      'revokedAt',
    ],
    properties: {
      kid: { type: 'string' },
      state: KEY_STATE,
      alg: { type: 'string', enum: ['RS256'] },
      bits: { type: 'integer' },
      createdAt: ISO(false),
      activatesAt: ISO(true),
      activatedAt: ISO(true),
      retiringAt: ISO(true),
      retireAfter: ISO(true),
      retiredAt: ISO(true),
      revokedAt: ISO(true),
    },
  },
  KeyEventView: {
    type: 'object',
    required: ['id', 'kid', 'fromState', 'toState', 'actor', 'reason', 'at'],
    properties: {
      id: { type: 'string' },
      kid: { type: 'string' },
      fromState: { anyOf: [KEY_STATE, { type: 'null' }] },
      toState: KEY_STATE,
      actor: { type: 'string', description: '`user:<sub>` or `client:<client_id>`.' },
      reason: { type: 'string' },
      at: ISO(false),
    },
  },
  Jwks: {
    type: 'object',
    description: 'RFC 7517 JWK Set: the public keys of pending, active and retiring keys.',
    required: ['keys'],
    properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } },
  },
  UserinfoResponse: {
    type: 'object',
    description: 'OpenID Connect Core §5.3.2.',
    required: ['sub', 'email', 'email_verified'],
    properties: { sub: { type: 'string', format: 'uuid' }, email: { type: 'string' }, email_verified: { type: 'boolean' } },
  },
  ServerMetadata: { type: 'object', description: 'RFC 8414 authorization server metadata.', additionalProperties: true },
};

/** What auth's `GET /openapi.json` says beyond its controllers and DTOs. */
export const AUTH_OPENAPI: OpenApiSpec<AuthConfig> = {
  summary:
    'The auth service: accounts (register, verify, log in), the OAuth endpoints (RFC 6749 token with refresh, client ' +
    'credentials and RFC 8693 token exchange; RFC 7662 introspection; RFC 7009 revocation), the JWKS and discovery, and the admin ' +
    'API (`auth:admin`). Tokens for its own protected routes have audience `auth`. `/oauth/*` answers every refusal in RFC 6749 ' +
    '§5.2 form.',
  bearerGuard: { scopesMetadataKey: SCOPES_KEY },
  securitySchemes: () => ({
    [CLIENT_BASIC_SCHEME]: {
      type: 'http',
      scheme: 'basic',
      description:
        'client_secret_basic (RFC 6749 §2.3.1): client id and secret, form-urlencoded, as HTTP Basic. client_secret_post (in the body) is equivalent.',
    },
  }),
  schemas: AUTH_SCHEMAS,
};
