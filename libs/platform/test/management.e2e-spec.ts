import { type AppDefinition, ConfigError, PlatformModule, loadBaseConfig, startApp } from '@authmesh/platform';
import { type TestApp, freePort, newTestApp } from '@authmesh/testing';
import { type DynamicModule, Module } from '@nestjs/common';

@Module({})
class BareModule {
  static forRoot(config: ReturnType<typeof loadBaseConfig>): DynamicModule {
    return { module: BareModule, imports: [PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } })] };
  }
}

const bareApp: AppDefinition = {
  name: 'profiles',
  loadConfig: (env) => loadBaseConfig('profiles', env),
  rootModule: (c) => BareModule.forRoot(c),
};

describe('platform: the management listener (e2e)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await newTestApp(bareApp);
  });
  afterAll(() => app?.close());

  it('answers /metrics on the management port only, and the details of /health/ready there only', async () => {
    expect((await fetch(`${app.managementUrl}/metrics`)).status).toBe(200);
    const detailed = await fetch(`${app.managementUrl}/health/ready`);
    expect({ status: detailed.status, body: (await detailed.json()) as unknown }).toMatchObject({
      status: 200,
      body: { status: 'ok', info: { database: { status: 'up' } } },
    });
    const metrics = await fetch(`${app.url}/metrics`);
    expect({ status: metrics.status, body: (await metrics.json()) as unknown }).toMatchObject({ status: 404, body: { code: 'not_found' } });
    // The main port says yes or no (what a load balancer needs), never what was checked.
    const bare = await fetch(`${app.url}/health/ready`);
    expect({ status: bare.status, body: (await bare.json()) as unknown }).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('keeps /health/live on both (a probe of the serving port proves that port answers)', async () => {
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${app.managementUrl}/health/live`)).status).toBe(200);
  });

  it('listens on 127.0.0.1 by default, and answers unknown paths with 404 not_found and a request id', async () => {
    expect(new URL(app.managementUrl).hostname).toBe('127.0.0.1');
    const res = await fetch(`${app.managementUrl}/nothing`, { headers: { 'x-request-id': 'mgmt-1' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('mgmt-1');
    expect(await res.json()).toMatchObject({ code: 'not_found', requestId: 'mgmt-1' });
  });

  it('refuses to start when MANAGEMENT_PORT is the main port, naming the variable', async () => {
    const port = String(await freePort());
    await expect(
      startApp(
        bareApp,
        { DATABASE_URL: 'postgres://x@127.0.0.1:1/x', REDIS_URL: 'memory://', PORT: port, MANAGEMENT_PORT: port },
        { quiet: true },
      ),
    ).rejects.toThrow(ConfigError);
    expect(() =>
      loadBaseConfig('profiles', { DATABASE_URL: 'postgres://x@127.0.0.1/x', REDIS_URL: 'memory://', PORT: port, MANAGEMENT_PORT: port }),
    ).toThrow(/MANAGEMENT_PORT: must differ from PORT/);
  });
});
