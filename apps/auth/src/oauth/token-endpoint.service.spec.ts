import type { TokenRequestDpop } from './token-request-dpop.js';
import type { ApiKeyExchange } from '../api-keys/api-key-exchange.js';
import type { JWTPayload } from 'jose';
import { DependencyUnavailableError } from '@authmesh/platform';
import type { RevocationStore } from '@authmesh/revocation';
import { ClientEntity } from '../clients/client.entity.js';
import { GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE } from '@authmesh/contracts';
import type { ClientsService } from '../clients/clients.service.js';
import type { AuthConfig } from '../config/auth.config.js';
import type { SessionRevoker } from '../revocation/session-revoker.service.js';
import type { AccessTokenIssuer, AccessTokenRequest, IssuedAccessToken } from '../tokens/access-token.issuer.js';
import type { AccessTokenReader } from '../tokens/access-token.reader.js';
import type { RefreshFamilyEntity } from '../tokens/refresh-token.entity.js';
import type { DataSource } from 'typeorm';
import type { AuthorizationCodes } from '../authorize/authorization-codes.service.js';
import type { IdTokenIssuer } from '../tokens/id-token.issuer.js';
import type { RefreshTokensService, TokenPair } from '../tokens/refresh-tokens.service.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { ClientAssertionVerifier } from './client-assertion.js';
import {
  InvalidClient,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  OAuthError,
  UnauthorizedClient,
  UnsupportedGrantType,
} from './oauth.errors.js';
import { TokenEndpoint } from './token-endpoint.service.js';

const NOW_S = 1_900_000_000;
const USER_CLIENT = 'authmesh';

function client(overrides: Partial<ClientEntity> = {}): ClientEntity {
  return Object.assign(new ClientEntity(), {
    clientId: 'orders-svc',
    secretHash: 'unused',
    scopes: ['orders:read', 'orders:write'],
    audiences: ['orders'],
    grantTypes: [GRANT_CLIENT_CREDENTIALS],
    enabled: true,
    createdAt: new Date(0),
    ...overrides,
  });
}

const basic = (id: string, secret = 's3cret'): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** The endpoint with in-memory collaborators; what they were asked is recorded in `calls`. */
function endpoint(options: { clients?: ClientEntity[]; tokens?: Record<string, JWTPayload>; store?: Partial<RevocationStore> } = {}) {
  const clients = new Map((options.clients ?? [client()]).map((c) => [c.clientId, c]));
  const calls = {
    authenticated: [] as string[],
    issued: [] as AccessTokenRequest[],
    rotated: [] as { presented: string; clientId: string; narrow?: (familyScope: string) => string }[],
    revokedJtis: [] as string[],
    revokedFamilies: [] as string[],
  };
  const clientsService: Pick<ClientsService, 'authenticate' | 'forPublic'> = {
    authenticate: (clientId, secret) => {
      calls.authenticated.push(clientId);
      const found = clients.get(clientId);
      if (!found || secret !== 's3cret') return Promise.reject(new InvalidClient());
      return Promise.resolve(found);
    },
    // These fakes are all confidential: named alone, each is refused like an unknown one.
    forPublic: () => Promise.reject(new InvalidClient('Client authentication is required')),
  };
  const issuer: Pick<AccessTokenIssuer, 'issue'> = {
    issue: (req) => {
      calls.issued.push(req);
      const issued: IssuedAccessToken = {
        token: `at-${calls.issued.length}`,
        tokenType: 'Bearer',
        jti: `jti-${calls.issued.length}`,
        expiresAt: new Date((NOW_S + 300) * 1000),
        expiresIn: 300,
      };
      return Promise.resolve(issued);
    },
  };
  const reader: Pick<AccessTokenReader, 'read'> = { read: (token) => Promise.resolve(options.tokens?.[token] ?? null) };
  const family = { id: 'fam-1', clientId: USER_CLIENT, userId: 'user-1', scope: 'profile' } as RefreshFamilyEntity;
  const refresh: Pick<RefreshTokensService, 'rotate' | 'findLive'> = {
    rotate: (presented, clientId, narrow) => {
      calls.rotated.push({ presented, clientId, narrow });
      const pair: TokenPair = {
        access: { token: 'at-r', tokenType: 'Bearer', jti: 'jti-r', expiresAt: new Date(0), expiresIn: 300 },
        refreshToken: 'rt-2',
        scope: 'profile',
        familyId: 'fam-1',
      };
      return Promise.resolve(pair);
    },
    findLive: () => Promise.resolve(null),
  };
  const revoker: Pick<SessionRevoker, 'revokeAccessToken' | 'familyOfRefreshToken' | 'revokeFamily' | 'linkExchangedToken'> = {
    revokeAccessToken: (jti) => {
      calls.revokedJtis.push(jti);
      return Promise.resolve();
    },
    familyOfRefreshToken: (token) => Promise.resolve(token === 'rt-1' ? family : null),
    revokeFamily: (id) => {
      calls.revokedFamilies.push(id);
      return Promise.resolve();
    },
    linkExchangedToken: () => Promise.resolve('linked'),
  };
  const store: Pick<RevocationStore, 'isTokenRevoked' | 'subjectRevokedAt'> = {
    isTokenRevoked: () => Promise.resolve(false),
    subjectRevokedAt: () => Promise.resolve(undefined),
    ...options.store,
  };
  const config = {
    auth: { issuer: 'https://auth.test', userClientId: USER_CLIENT, dpop: { edgeClients: ['gateway'] } },
  } as unknown as AuthConfig;
  const service = new TokenEndpoint(
    new ClientAuthenticator(
      clientsService as ClientsService,
      new ClientAssertionVerifier({
        issuer: 'https://auth.test',
        tokenEndpoint: 'https://auth.test/oauth/token',
        clockToleranceSeconds: 30,
        replay: { claim: () => Promise.resolve(true) },
      }),
    ),
    issuer as AccessTokenIssuer,
    reader as AccessTokenReader,
    refresh as RefreshTokensService,
    revoker as SessionRevoker,
    store as RevocationStore,
    config,
    // The code grant is proved over HTTP (test/authorization-code.e2e-spec.ts) against Postgres.
    {} as DataSource,
    {} as AuthorizationCodes,
    {} as IdTokenIssuer,
    // DPoP is proved over HTTP (test/dpop.e2e-spec.ts): these requests carry no proof.
    { verify: () => Promise.resolve(undefined), requireIfBound: () => undefined } as unknown as TokenRequestDpop,
    {} as ApiKeyExchange,
  );
  return { service, calls };
}

/** The OAuth error a call fails with (RFC 6749 §5.2 `error` and status), or a failure if it resolves. */
async function oauthError(p: Promise<unknown>): Promise<{ error: string; status: number; type: unknown }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OAuthError) return { error: e.error, status: e.status, type: e.constructor };
    throw e;
  }
  throw new Error('expected an OAuth error');
}

describe('TokenEndpoint', () => {
  describe('grant dispatch', () => {
    it('refuses a request without grant_type (invalid_request)', async () => {
      const { service } = endpoint();
      expect(await oauthError(service.token({}, basic('orders-svc')))).toEqual({
        error: 'invalid_request',
        status: 400,
        type: InvalidRequest,
      });
    });

    it('refuses an unknown grant_type before looking at the client (unsupported_grant_type)', async () => {
      const { service, calls } = endpoint();
      const refused = await oauthError(service.token({ grant_type: 'password' }, basic('orders-svc')));
      expect(refused).toEqual({ error: 'unsupported_grant_type', status: 400, type: UnsupportedGrantType });
      expect(calls.authenticated).toEqual([]);
    });

    it('refuses a repeated parameter (RFC 6749 §3.2) and a body that is not an object', async () => {
      const { service } = endpoint();
      expect((await oauthError(service.token({ grant_type: ['client_credentials', 'x'] }, undefined))).error).toBe('invalid_request');
      expect((await oauthError(service.token('grant_type=client_credentials', undefined))).error).toBe('invalid_request');
    });

    it('sends the token-exchange URN to the exchange grant, which checks the client may use it', async () => {
      const { service } = endpoint();
      const refused = await oauthError(service.token({ grant_type: GRANT_TOKEN_EXCHANGE }, basic('orders-svc')));
      expect(refused).toEqual({ error: 'unauthorized_client', status: 400, type: UnauthorizedClient });
    });

    it('authenticates the client of a token exchange first (invalid_client, 401)', async () => {
      const { service } = endpoint();
      expect(await oauthError(service.token({ grant_type: GRANT_TOKEN_EXCHANGE }, undefined))).toEqual({
        error: 'invalid_client',
        status: 401,
        type: InvalidClient,
      });
    });
  });

  describe('client_credentials', () => {
    it('issues a token for the client itself, for its only audience and all its scopes, without a refresh token (RFC 6749 §4.4.3)', async () => {
      const { service, calls } = endpoint();
      const response = await service.token({ grant_type: 'client_credentials' }, basic('orders-svc'));
      expect(response).toEqual({ access_token: 'at-1', token_type: 'Bearer', expires_in: 300, scope: 'orders:read orders:write' });
      expect(calls.issued).toEqual([{ sub: 'orders-svc', clientId: 'orders-svc', audience: 'orders', scope: 'orders:read orders:write' }]);
    });

    it('requires client authentication (invalid_client, 401)', async () => {
      const { service, calls } = endpoint();
      expect((await oauthError(service.token({ grant_type: 'client_credentials' }, undefined))).status).toBe(401);
      expect((await oauthError(service.token({ grant_type: 'client_credentials' }, basic('orders-svc', 'wrong')))).error).toBe(
        'invalid_client',
      );
      expect(calls.issued).toEqual([]);
    });

    it('refuses a client not allowed the grant (unauthorized_client)', async () => {
      const { service } = endpoint({ clients: [client({ grantTypes: [GRANT_TOKEN_EXCHANGE] })] });
      expect((await oauthError(service.token({ grant_type: 'client_credentials' }, basic('orders-svc')))).error).toBe(
        'unauthorized_client',
      );
    });

    it('needs an audience for a client with several, takes it as `audience` or `resource`, and refuses others (invalid_target)', async () => {
      const { service, calls } = endpoint({ clients: [client({ audiences: ['orders', 'profiles'] })] });
      const auth = basic('orders-svc');
      expect(await oauthError(service.token({ grant_type: 'client_credentials' }, auth))).toMatchObject({ error: 'invalid_request' });
      await service.token({ grant_type: 'client_credentials', audience: 'profiles' }, auth);
      await service.token({ grant_type: 'client_credentials', resource: 'orders' }, auth);
      expect(calls.issued.map((r) => r.audience)).toEqual(['profiles', 'orders']);
      expect(await oauthError(service.token({ grant_type: 'client_credentials', audience: 'billing' }, auth))).toEqual({
        error: 'invalid_target',
        status: 400,
        type: InvalidTarget,
      });
    });

    it('grants a requested subset of scopes once each, and refuses a scope not allowed or malformed (invalid_scope)', async () => {
      const { service, calls } = endpoint();
      const auth = basic('orders-svc');
      const granted = await service.token({ grant_type: 'client_credentials', scope: 'orders:read orders:read' }, auth);
      expect(granted.scope).toBe('orders:read');
      expect(calls.issued[0]!.scope).toBe('orders:read');
      for (const scope of ['orders:read admin', 'orders:"read"', ' ']) {
        expect(await oauthError(service.token({ grant_type: 'client_credentials', scope }, auth))).toEqual({
          error: 'invalid_scope',
          status: 400,
          type: InvalidScope,
        });
      }
    });
  });

  describe('refresh_token', () => {
    it('requires the refresh_token parameter', async () => {
      const { service } = endpoint();
      expect((await oauthError(service.token({ grant_type: 'refresh_token' }, undefined))).error).toBe('invalid_request');
    });

    it('rotates for the first-party public client when no credentials are sent, and for the authenticated client otherwise (RFC 6749 §6)', async () => {
      const { service, calls } = endpoint();
      const response = await service.token({ grant_type: 'refresh_token', refresh_token: 'rt-1' }, undefined);
      expect(response).toEqual({ access_token: 'at-r', token_type: 'Bearer', expires_in: 300, refresh_token: 'rt-2', scope: 'profile' });
      await service.token({ grant_type: 'refresh_token', refresh_token: 'rt-1' }, basic('orders-svc'));
      expect(calls.rotated.map((r) => r.clientId)).toEqual([USER_CLIENT, 'orders-svc']);
      expect(calls.rotated[0]!.narrow).toBeUndefined();
    });

    it('narrows the family scope to the requested one, refusing a scope the family lacks', async () => {
      const { service, calls } = endpoint();
      await service.token({ grant_type: 'refresh_token', refresh_token: 'rt-1', scope: 'profile' }, undefined);
      const narrow = calls.rotated[0]!.narrow!;
      expect(narrow('profile orders:read')).toBe('profile');
      expect(() => narrow('orders:read')).toThrow(InvalidScope);
    });
  });

  describe('introspection (RFC 7662)', () => {
    const claims: JWTPayload = {
      jti: 'j1',
      sub: 'user-1',
      iat: NOW_S,
      exp: NOW_S + 300,
      aud: ['orders-svc'],
      client_id: USER_CLIENT,
      scope: 'orders:read',
    };

    it('describes a live token to the resource server it is for (its client id in aud)', async () => {
      const { service } = endpoint({ tokens: { t1: claims } });
      expect(await service.introspect({ token: 't1' }, basic('orders-svc'))).toEqual({ active: true, token_type: 'Bearer', ...claims });
    });

    it('answers { active: false } for a revoked token, a subject revoked after it was issued, and garbage', async () => {
      const revokedJti = endpoint({ tokens: { t1: claims }, store: { isTokenRevoked: () => Promise.resolve(true) } });
      expect(await revokedJti.service.introspect({ token: 't1' }, basic('orders-svc'))).toEqual({ active: false });
      const revokedSub = endpoint({ tokens: { t1: claims }, store: { subjectRevokedAt: () => Promise.resolve(new Date(NOW_S * 1000)) } });
      expect(await revokedSub.service.introspect({ token: 't1' }, basic('orders-svc'))).toEqual({ active: false });
      expect(await endpoint().service.introspect({ token: 'garbage' }, basic('orders-svc'))).toEqual({ active: false });
    });

    it('fails with 503 rather than calling a token active when the revocation data is unavailable', async () => {
      const { service } = endpoint({ tokens: { t1: claims }, store: { isTokenRevoked: () => Promise.reject(new Error('redis down')) } });
      const refused = service.introspect({ token: 't1' }, basic('orders-svc'));
      await expect(refused).rejects.toBeInstanceOf(DependencyUnavailableError);
      await expect(refused).rejects.toMatchObject({ status: 503 });
    });

    it('requires client authentication', async () => {
      const { service } = endpoint({ tokens: { t1: claims } });
      expect((await oauthError(service.introspect({ token: 't1' }, undefined))).error).toBe('invalid_client');
    });
  });

  describe('revocation (RFC 7009)', () => {
    const mine: JWTPayload = { jti: 'j-mine', sub: 'orders-svc', exp: NOW_S + 300, client_id: 'orders-svc' };
    const theirs: JWTPayload = { jti: 'j-theirs', sub: 'user-1', exp: NOW_S + 300, client_id: 'other-svc' };

    it("revokes the client's own access token, and answers alike for another client's token without revoking it", async () => {
      const { service, calls } = endpoint({ tokens: { mine, theirs } });
      await service.revoke({ token: 'mine' }, basic('orders-svc'));
      await service.revoke({ token: 'theirs' }, basic('orders-svc'));
      await service.revoke({ token: 'unknown' }, basic('orders-svc'));
      expect(calls.revokedJtis).toEqual(['j-mine']);
    });

    it('lets the first-party public client name itself, and refuses an anonymous caller (invalid_client)', async () => {
      const { service, calls } = endpoint();
      await service.revoke({ token: 'rt-1', client_id: USER_CLIENT }, undefined);
      expect(calls.revokedFamilies).toEqual(['fam-1']);
      expect((await oauthError(service.revoke({ token: 'rt-1', client_id: 'orders-svc' }, undefined))).error).toBe('invalid_client');
      expect((await oauthError(service.revoke({ token: 'rt-1' }, undefined))).status).toBe(401);
    });
  });
});
