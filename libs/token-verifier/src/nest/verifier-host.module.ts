import { AppError, MetricsService, ReadinessRegistry, RedisConnection, parseRedisUrl, renderError } from '@authmesh/platform';
import {
  type ArgumentsHost,
  Catch,
  type DynamicModule,
  type ExceptionFilter,
  Global,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';

/**
 * Renders the verifier's refusals (and the revocation mirror's 503) as authmesh services answer
 * them: `{ code, message }`, the status and `WWW-Authenticate`. Only `AppError`s: the host app's
 * own errors keep its own filters. Through Nest's HTTP adapter, so Express and Fastify both work.
 */
@Catch(AppError)
export class AuthmeshErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('AuthmeshErrors');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: AppError, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<{ id?: string }>();
    const response: unknown = http.getResponse();
    const rendered = renderError(exception, typeof request?.id === 'string' ? request.id : undefined, this.logger);
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(rendered.headers)) adapter.setHeader(response, name, value);
    adapter.reply(response, rendered.body, rendered.status);
  }
}

/** Opens the Redis connection before the revocation feed starts, closes it with the app. */
class RedisConnectionLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly redis: RedisConnection) {}
  async onModuleInit(): Promise<void> {
    await this.redis.connect();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.redis.close();
  }
}

export interface VerifierHostOptions {
  /** The `service` label of the metrics and the Redis client's name (`authmesh-<appName>`). */
  readonly appName: string;
  /** The Redis holding auth's revocation stream (any REDIS_URL form platform reads: redis://, rediss://, redis+sentinel://, redis+cluster://). */
  readonly redisUrl: string;
}

/**
 * What `TokenVerifierModule` and `RevocationModule` take from their app, for a Nest app that does
 * not run on `@authmesh/platform`'s `PlatformModule` (which provides the same with the database,
 * logs and health): a metrics registry (`MetricsService.registry`, to serve as the app likes), the
 * readiness registry (`jwks` and `revocation` checks), the Redis connection, and
 * `AuthmeshErrorFilter` for their errors. Global, as `PlatformModule` is.
 *
 * @example
 * imports: [VerifierHostModule.forRoot({ appName: 'billing', redisUrl: process.env.REDIS_URL! }), TokenVerifierModule.forRoot(…)]
 */
@Global()
@Module({})
export class VerifierHostModule {
  static forRoot(options: VerifierHostOptions): DynamicModule {
    const redis = parseRedisUrl(options.redisUrl);
    if (!redis.ok) throw new Error(`VerifierHostModule: redisUrl: ${redis.problem}`);
    return {
      module: VerifierHostModule,
      providers: [
        { provide: MetricsService, useFactory: () => new MetricsService(options.appName) },
        { provide: ReadinessRegistry, useFactory: () => new ReadinessRegistry() },
        { provide: RedisConnection, useFactory: () => new RedisConnection(redis.config, options.appName) },
        {
          provide: RedisConnectionLifecycle,
          useFactory: (r: RedisConnection) => new RedisConnectionLifecycle(r),
          inject: [RedisConnection],
        },
        { provide: APP_FILTER, useClass: AuthmeshErrorFilter },
      ],
      exports: [MetricsService, ReadinessRegistry, RedisConnection],
    };
  }
}
