import { type DynamicModule, Global, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { BaseConfig } from './config/base-config.js';
import { APP_CONFIG } from './config/config.token.js';
import { AllExceptionsFilter } from './errors/all-exceptions.filter.js';
import { createValidationPipe } from './errors/validation.js';
import { HealthController } from './health/health.controller.js';
import { HealthService } from './health/health.service.js';
import { MethodIndex } from './http/request-rules.js';
import { ReadinessRegistry, type ReadinessRegistryOptions } from './health/readiness-registry.js';
import { MetricsService } from './metrics/metrics.service.js';
import { type DatabaseOptions, typeOrmModuleOptions } from './database/typeorm-options.js';
import { RedisConnection } from './redis/redis-connection.js';

export interface PlatformModuleOptions {
  config: BaseConfig;
  database: DatabaseOptions;
  /** Registered readiness checks this app reports without failing readiness on (ReadinessRegistryOptions). */
  readiness?: ReadinessRegistryOptions;
}

/** Opens and closes the Redis connection with the app. */
class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly redis: RedisConnection) {}
  async onModuleInit(): Promise<void> {
    await this.redis.connect();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.redis.close();
  }
}

/**
 * What every app shares: validated config (logs, access lines and traces are wired by `startApp`), the database (migrations
 * at start, under an advisory lock), Redis, health, metrics, the one exception filter and input validation.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformModuleOptions): DynamicModule {
    const { config } = options;
    return {
      module: PlatformModule,
      imports: [
        TypeOrmModule.forRootAsync(typeOrmModuleOptions(config.database, options.database)),
        TerminusModule.forRoot({ logger: false }),
      ],
      // /metrics and /health/ready are not controllers: the management listener serves them (start-app.ts).
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: RedisConnection, useFactory: () => new RedisConnection(config.redis, config.app) },
        { provide: MetricsService, useFactory: () => new MetricsService(config.app) },
        { provide: RedisLifecycle, useFactory: (r: RedisConnection) => new RedisLifecycle(r), inject: [RedisConnection] },
        { provide: ReadinessRegistry, useFactory: () => new ReadinessRegistry(options.readiness) },
        HealthService,
        { provide: MethodIndex, useValue: new MethodIndex() },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
      exports: [APP_CONFIG, RedisConnection, MetricsService, ReadinessRegistry, HealthService, MethodIndex],
    };
  }
}
