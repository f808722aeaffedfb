import type { DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppName, BaseConfig } from '../config/base-config.js';
import type { Env } from '../config/env-reader.js';
import type { OpenApiSpec } from '../openapi/openapi-spec.js';

/**
 * Everything that makes one app different from another: its name, its configuration and its
 * root module. `main.ts` hands it to `runApp`; the suite hands all four to `startApp`.
 */
export interface AppDefinition<C extends BaseConfig = BaseConfig> {
  name: AppName;
  /** Reads and validates the environment; throws ConfigError listing every problem. */
  loadConfig(env: Env): C;
  /** The root module, built from the validated configuration. */
  rootModule(config: C): DynamicModule;
  /**
   * Optional: registers Fastify plugins and raw routes (the gateway's proxy, cookies, CORS) on the
   * app's Fastify instance, after the platform's request-id and metrics hooks and before `listen`.
   */
  configure?(app: NestFastifyApplication, config: C): Promise<void> | void;
  /** Optional: what the app's `GET /openapi.json` says beyond its controllers and DTOs (security, raw routes). */
  openapi?: OpenApiSpec<C>;
}
