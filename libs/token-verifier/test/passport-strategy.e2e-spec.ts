import { type AppDefinition, type BaseConfig, EnvReader, PlatformModule, readBaseConfig } from '@authmesh/platform';
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
  ScopesGuard,
  TokenRevokedError,
  TokenVerifierModule,
  type VerifierConfig,
  readVerifierConfig,
} from '@authmesh/token-verifier';
import { AuthmeshStrategy } from '@authmesh/token-verifier/passport';
import { Controller, type DynamicModule, Get, Module, Req, UseGuards } from '@nestjs/common';
import { AuthGuard, PassportModule } from '@nestjs/passport';
import type { Agent } from 'node:http';

/**
 * `@UseGuards(AuthGuard('authmesh'))` as a Nest service written the way the Nest docs show would
 * use it (no global guard), on the Fastify adapter, with `PassportModule.register` options.
 */
@UseGuards(AuthGuard('authmesh'), ScopesGuard)
@Controller('things')
class ThingsController {
  @Get('any')
  any(@CurrentPrincipal() principal: Principal, @Req() request: { caller?: unknown }): { principal: Principal; caller: unknown } {
    return { principal, caller: request.caller };
  }

  @Get('write')
  @Scopes('things:write')
  write(): { written: true } {
    return { written: true };
  }
}

@Controller('open')
class OpenController {
  // No guard and no global one: what `guard: false` means.
  @Get()
  open(): { open: true } {
    return { open: true };
  }
}

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
class PassportServiceModule {
  static forRoot(config: TestConfig): DynamicModule {
    return {
      module: PassportServiceModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } }),
        TokenVerifierModule.forRoot({ ...config.verifier, revocation: { useValue: revocation }, guard: false }),
        // IAuthModuleOptions: where AuthGuard leaves what `validate` returned.
        PassportModule.register({ property: 'caller' }),
      ],
      controllers: [ThingsController, OpenController],
      providers: [AuthmeshStrategy],
    };
  }
}

const passportService: AppDefinition<TestConfig> = {
  name: 'orders',
  loadConfig: (env) => {
    const reader = new EnvReader(env);
    const base = readBaseConfig('orders', reader, env);
    const verifier = readVerifierConfig(reader, 'orders');
    const parts = reader.finish('orders', { base, verifier });
    return { ...parts.base, verifier: parts.verifier };
  },
  rootModule: (config) => PassportServiceModule.forRoot(config),
};

describe("AuthGuard('authmesh'): the passport strategy over the core verifier (e2e)", () => {
  const key = generateSigningKey('k1');
  let jwks: JwksTestServer;
  let app: TestApp<TestConfig>;
  let agent: Agent;
  const token = (overrides: Record<string, unknown> = {}) =>
    signToken(key, accessClaims(jwks.url, 'orders', Math.floor(Date.now() / 1000), { scope: 'things:read', ...overrides }));

  beforeAll(async () => {
    jwks = await JwksTestServer.start(jwksOf(key));
    app = await newTestApp(passportService, { AUTH_ISSUER: jwks.url });
    agent = testAgent();
  });
  afterAll(async () => {
    agent?.destroy();
    await app?.close();
    await jwks?.close();
  });

  it("hands validate()'s result to PassportModule's property and the principal to @CurrentPrincipal()", async () => {
    const res = await getWithToken(`${app.url}/things/any`, token({ sub: 'user-7' }), agent);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ principal: { sub: 'user-7', scopes: ['things:read'] }, caller: { sub: 'user-7' } });
  });

  it('answers 401 token_missing with a bare Bearer challenge, as the global guard does', async () => {
    const res = await rawGet(`${app.url}/things/any`, [], agent);
    expect({ status: res.status, code: res.json?.code, challenge: res.headers['www-authenticate'] }).toEqual({
      status: 401,
      code: 'token_missing',
      challenge: 'Bearer, DPoP algs="ES256 EdDSA RS256 PS256"',
    });
  });

  it('refuses an expired token with 401 token_expired and the invalid_token challenge', async () => {
    const res = await getWithToken(`${app.url}/things/any`, token({ exp: Math.floor(Date.now() / 1000) - 60 }), agent);
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 401, code: 'token_expired' });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
  });

  it('runs the revocation check on a token it verified a moment ago (the cache never skips it)', async () => {
    const t = token();
    expect((await getWithToken(`${app.url}/things/any`, t, agent)).status).toBe(200);
    revokedJtis.add(JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).jti);
    const res = await getWithToken(`${app.url}/things/any`, t, agent);
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 401, code: 'token_revoked' });
  });

  it('rejects two Authorization headers with 400 token_ambiguous (raw headers, on Fastify)', async () => {
    const t = token();
    const res = await rawGet(
      `${app.url}/things/any`,
      [
        ['authorization', `Bearer ${t}`],
        ['authorization', `Bearer ${t}`],
      ],
      agent,
    );
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 400, code: 'token_ambiguous' });
  });

  it('answers 403 insufficient_scope through ScopesGuard after AuthGuard', async () => {
    const res = await getWithToken(`${app.url}/things/write`, token(), agent);
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 403, code: 'insufficient_scope' });
    expect((await getWithToken(`${app.url}/things/write`, token({ scope: 'things:write' }), agent)).status).toBe(200);
  });

  it('counts its verifications in the same token_verifications_total metric', async () => {
    const body = (await rawGet(`${app.managementUrl}/metrics`, [], agent)).body;
    expect(body).toMatch(/token_verifications_total\{outcome="ok",service="orders"\} [1-9]/);
    expect(body).toMatch(/token_verifications_total\{outcome="token_expired",service="orders"\} [1-9]/);
  });

  it('leaves a route without @UseGuards open when the global guard is off (guard: false)', async () => {
    expect((await rawGet(`${app.url}/open`, [], agent)).status).toBe(200);
  });

  it('refuses a second live app registering the authmesh strategy in the same process', async () => {
    // passport's registry is process-wide: the second app would verify the first one's requests.
    await expect(newTestApp(passportService, { AUTH_ISSUER: jwks.url })).rejects.toThrow(/already registered by another app/);
    // The first app still verifies with its own verifier.
    expect((await getWithToken(`${app.url}/things/any`, token(), agent)).status).toBe(200);
  });
});
