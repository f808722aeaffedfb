import { Body, Controller, type DynamicModule, Get, Module, Post } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsString, Min, ValidateNested } from 'class-validator';
import { type AppDefinition, type BaseConfig, DependencyUnavailableError, PlatformModule, loadBaseConfig } from '@authmesh/platform';
import { newTestApp, type TestApp } from '@authmesh/testing';

class ItemDto {
  @IsString() sku!: string;
  @IsInt() @Min(1) quantity!: number;
}
class CreateDto {
  @IsString() name!: string;
  @ValidateNested({ each: true }) @Type(() => ItemDto) items!: ItemDto[];
}

@Controller('probe')
class ProbeController {
  @Post() create(@Body() body: CreateDto): CreateDto {
    return body;
  }
  @Get('boom') boom(): never {
    throw new Error('connection string postgres://admin:hunter2@db leaked');
  }
  @Get('down') down(): never {
    throw new DependencyUnavailableError('profiles is unavailable', { retryAfterSeconds: 3 });
  }
}

@Module({})
class ProbeModule {
  static forRoot(config: BaseConfig): DynamicModule {
    return {
      module: ProbeModule,
      imports: [PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } })],
      controllers: [ProbeController],
    };
  }
}

// The apps' own module is not needed to test what the platform gives every app.
const probeApp: AppDefinition = {
  name: 'orders',
  loadConfig: (env) => loadBaseConfig('orders', env),
  rootModule: (c) => ProbeModule.forRoot(c),
};

describe('platform: what every app answers', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await newTestApp(probeApp);
  });
  afterAll(() => app.close());

  it('answers /health/live and /health/ready with 200 when the database and Redis are up', async () => {
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${app.managementUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', details: { database: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('echoes an incoming x-request-id and generates one otherwise', async () => {
    const given = await fetch(`${app.url}/health/live`, { headers: { 'x-request-id': 'req-42' } });
    expect(given.headers.get('x-request-id')).toBe('req-42');
    const generated = await fetch(`${app.url}/health/live`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a bad body with 400 naming every bad field', async () => {
    const res = await fetch(`${app.url}/probe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-400' },
      body: JSON.stringify({ items: [{ sku: 'a', quantity: 0 }], extra: true }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; requestId: string; details: { fields: { field: string }[] } };
    expect(body.code).toBe('validation_failed');
    expect(body.requestId).toBe('req-400');
    expect(body.details.fields.map((f) => f.field).sort()).toEqual(['extra', 'items.0.quantity', 'name']);
  });

  it('answers invalid JSON with 400 in the same shape, not a 500', async () => {
    const res = await fetch(`${app.url}/probe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'bad_request', requestId: expect.any(String) });
  });

  it('answers an unknown route with 404 not_found', async () => {
    const res = await fetch(`${app.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'not_found' });
  });

  it('hides an unexpected error behind a generic 500 without a stack trace', async () => {
    const res = await fetch(`${app.url}/probe/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ code: 'internal_error', message: 'Internal server error', requestId: expect.any(String) });
    expect(text).not.toMatch(/hunter2|at .*\.ts/);
  });

  it('answers a dependency outage with 503 and Retry-After', async () => {
    const res = await fetch(`${app.url}/probe/down`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toMatchObject({ code: 'dependency_unavailable' });
  });

  it('exports request counts and latency by route pattern and status in Prometheus format', async () => {
    await fetch(`${app.url}/probe/boom`);
    const res = await fetch(`${app.managementUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/probe\/boom",status="500",service="orders"\} [1-9]/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/health\/live",status="200"[^}]*\} [1-9]/);
  });
});
