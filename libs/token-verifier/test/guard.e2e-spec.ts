import { type AppDefinition, type BaseConfig, EnvReader, PlatformModule, Public, readBaseConfig } from '@authmesh/platform';
import {
  type TestApp,
  newTestApp,
  getWithToken,
  rawGet,
  testAgent,
  JwksTestServer,
  generateSigningKey,
  jwksOf,
  accessClaims,
  signToken,
} from '@authmesh/testing';
import {
  CurrentPrincipal,
  type Principal,
  type RevocationChecker,
  Scopes,
  TokenRevokedError,
  TokenVerifierModule,
  type VerifierConfig,
  readVerifierConfig,
} from '@authmesh/token-verifier';
import { Controller, type DynamicModule, Get, Module } from '@nestjs/common';
import type { Agent } from 'node:http';

/** A service built only for this test: one route per decorator combination. */
@Controller('things')
class ThingsController {
  @Get('open')
  @Public()
  open(): { open: true } {
    return { open: true };
  }

  @Get('read')
  @Scopes('things:read')
  read(@CurrentPrincipal() principal: Principal): { sub: string } {
    return { sub: principal.sub };
  }

  @Get('write')
  @Scopes('things:read', 'things:write')
  write(): { written: true } {
    return { written: true };
  }

  @Get('any')
  any(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }
}

@Scopes('admin')
@Controller('admin')
class AdminController {
  @Get()
  index(): { admin: true } {
    return { admin: true };
  }
}

/** Revokes the jtis in the set: stands in for the revocation lib's checker. */
const revokedJtis = new Set<string>();
const revocation: RevocationChecker = {
  check(claims) {
    if (revokedJtis.has(claims.jti)) throw new TokenRevokedError(`jti ${claims.jti} is revoked`);
  },
};

interface TestConfig extends BaseConfig {
  verifier: VerifierConfig;
}

@Module({})
class TestServiceModule {
  static forRoot(config: TestConfig): DynamicModule {
    return {
      module: TestServiceModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } }),
        TokenVerifierModule.forRoot({ ...config.verifier, revocation: { useValue: revocation } }),
      ],
      controllers: [ThingsController, AdminController],
    };
  }
}

const testService: AppDefinition<TestConfig> = {
  name: 'orders',
  loadConfig: (env) => {
    const reader = new EnvReader(env);
    const base = readBaseConfig('orders', reader, env);
    const verifier = readVerifierConfig(reader, 'orders');
    const parts = reader.finish('orders', { base, verifier });
    return { ...parts.base, verifier: parts.verifier };
  },
  rootModule: (config) => TestServiceModule.forRoot(config),
};

describe('TokenVerifierModule guard, scopes and principal (e2e)', () => {
  const key = generateSigningKey('k1');
  let jwks: JwksTestServer;
  let app: TestApp<TestConfig>;
  let agent: Agent;
  const token = (scope: string, overrides: Record<string, unknown> = {}) =>
    signToken(key, accessClaims(jwks.url, 'orders', Math.floor(Date.now() / 1000), { scope, ...overrides }));

  beforeAll(async () => {
    jwks = await JwksTestServer.start(jwksOf(key));
    app = await newTestApp(testService, { AUTH_ISSUER: jwks.url });
    agent = testAgent();
  });
  afterAll(async () => {
    agent?.destroy();
    await app?.close();
    await jwks?.close();
  });

  it('lets a @Public() route through without a token', async () => {
    expect((await rawGet(`${app.url}/things/open`, [], agent)).status).toBe(200);
  });

  it('protects a route with no decorator at all', async () => {
    const res = await rawGet(`${app.url}/things/any`, [], agent);
    expect(res.status).toBe(401);
    expect(res.json?.code).toBe('token_missing');
  });

  it('serves a route whose scope the token has', async () => {
    const res = await getWithToken(`${app.url}/things/read`, token('things:read'), agent);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ sub: 'user-1' });
  });

  it('answers 403 insufficient_scope naming the required scopes when one is missing', async () => {
    const res = await getWithToken(`${app.url}/things/write`, token('things:read'), agent);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="things:read things:write"');
    expect(res.json).toMatchObject({ code: 'insufficient_scope', details: { requiredScopes: ['things:read', 'things:write'] } });
  });

  it('applies a controller-level @Scopes() to its routes', async () => {
    expect((await getWithToken(`${app.url}/admin`, token('things:read'), agent)).status).toBe(403);
    expect((await getWithToken(`${app.url}/admin`, token('admin'), agent)).status).toBe(200);
  });

  it('does not match a scope by prefix or substring', async () => {
    expect((await getWithToken(`${app.url}/things/read`, token('things:reader things'), agent)).status).toBe(403);
  });

  it('checks an invalid token before scopes (401, not 403)', async () => {
    const res = await getWithToken(`${app.url}/things/read`, token('things:read', { aud: 'profiles' }), agent);
    expect(res.status).toBe(401);
    expect(res.json?.code).toBe('token_wrong_audience');
  });

  it('rejects a revoked token on its next request, even though it is cached', async () => {
    const jti = `jti-${Date.now()}`;
    const t = token('things:read', { jti });
    expect((await getWithToken(`${app.url}/things/any`, t, agent)).status).toBe(200);
    revokedJtis.add(jti);
    const res = await getWithToken(`${app.url}/things/any`, t, agent);
    expect(res.status).toBe(401);
    expect(res.json?.code).toBe('token_revoked');
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token has been revoked"');
  });
});
