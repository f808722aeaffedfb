import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import type { BaseConfig } from '../config/base-config.js';
import { ConfigError } from '../config/config.error.js';
import type { Env } from '../config/env-reader.js';
import { ensureDatabaseExists } from '../database/ensure-database.js';
import { answerFrameworkError } from '../errors/framework-errors.js';
import { HealthService } from '../health/health.service.js';
import { MethodIndex, indexRoutes, installRequestRules } from '../http/request-rules.js';
import { installAccessLog } from '../logging/access-log.js';
import { createAppLogger } from '../logging/app-logger.js';
import { ScopedNestLogger } from '../logging/nest-logger.js';
import { requestIdFor } from '../logging/request-id.js';
import { createAppTracerProvider, errorCodeOf, installServerSpans } from '../tracing/tracing.js';
import { type ManagementServer, startManagementServer } from '../management/management-server.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { buildOpenApiDocument } from '../openapi/build-openapi-document.js';
import { type RegisteredRoute, RegisteredRoutes } from '../openapi/registered-routes.js';
import { serveOpenApiDocument } from '../openapi/serve-openapi.js';
import type { AppDefinition } from './app-definition.js';
import { type AppScope, appScope } from './app-scope.js';
import { registerClientMetrics } from '../metrics/client-metrics.js';
import type { DestinationStream } from 'pino';

export interface RunningApp<C extends BaseConfig = BaseConfig> {
  app: NestFastifyApplication;
  config: C;
  /** Base URL the app listens on, e.g. http://127.0.0.1:3001 */
  url: string;
  /** Base URL of the management listener (/metrics, /health/*), e.g. http://127.0.0.1:3101 */
  managementUrl: string;
  /** Every route the main port registered (method and Fastify path), in registration order. */
  routes(): readonly RegisteredRoute[];
  close(): Promise<void>;
}

/** The largest request body any app parses (Fastify's `bodyLimit`); the gateway applies it to proxied bodies too. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface StartOptions {
  /** Silence Nest's own start-up logger (tests). */
  quiet?: boolean;
  /** Where the app's log lines go (default stdout, JSON or pretty per LOG_FORMAT); tests capture them here. */
  logDestination?: DestinationStream;
}

/**
 * Boots one app: validates config, creates its database if needed, wires the platform pieces
 * into Fastify and listens. Every `main.ts`, the suite and the e2e tests go through here.
 */
export async function startApp<C extends BaseConfig>(
  definition: AppDefinition<C>,
  env: Env,
  options: StartOptions = {},
): Promise<RunningApp<C>> {
  const config = definition.loadConfig(env);
  const logger = createAppLogger(config, { destination: options.logDestination });
  const tracerProvider = createAppTracerProvider(config.app, config.tracing);
  // Everything the app creates from here on (its server socket, hence every request; its timers
  // and connections) runs in this scope: its log lines and spans carry its own name (app-scope.ts).
  const scope: AppScope = { app: config.app, logger, tracerProvider };
  return appScope.run(scope, async () => {
    try {
      return await boot(definition, config, scope, options);
    } catch (err) {
      await tracerProvider?.shutdown().catch(() => undefined);
      throw err;
    }
  });
}

async function boot<C extends BaseConfig>(
  definition: AppDefinition<C>,
  config: C,
  scope: AppScope,
  options: StartOptions,
): Promise<RunningApp<C>> {
  const { logger, tracerProvider } = scope;
  if (config.database.createIfMissing) await ensureDatabaseExists(config.database.url, config.database.connectTimeoutMs);

  const adapter = new FastifyAdapter({
    genReqId: requestIdFor,
    bodyLimit: BODY_LIMIT_BYTES,
    // Node's defaults let a slow client hold a socket for minutes.
    requestTimeout: 30_000,
    // The router's own refusals (an undecodable path: 400 bad_url) in the platform's error shape.
    frameworkErrors: answerFrameworkError,
    return503OnClosing: true,
    // TRUST_PROXY: who may set X-Forwarded-For/-Proto/-Host, i.e. what `request.ip` (the key of
    // per-address rate limits) is. Default false: the peer address, which a client cannot spoof.
    // A hop count becomes proxy-addr's function form, which Fastify builds for a number too (its
    // typings only list the other forms).
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
  });
  const app = await NestFactory.create<NestFastifyApplication>(definition.rootModule(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
    logger: options.quiet ? false : undefined,
  });
  if (!options.quiet) app.useLogger(new ScopedNestLogger(logger));
  app.flushLogs();

  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);
  registerClientMetrics(scope, metrics);
  // First: the span is active before any other hook runs, so their work and log lines belong to it.
  if (tracerProvider !== undefined) installServerSpans(fastify, tracerProvider);
  installAccessLog(fastify, logger);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
      errorCodeOf(request),
    );
    done();
  });
  // Before any route is registered (Nest registers its routes at listen): every route gets them.
  indexRoutes(fastify, app.get(MethodIndex));
  const routes = RegisteredRoutes.recordOn(fastify);
  installRequestRules(fastify);
  // Fastify's own errors (bad JSON, body too large) reach the global filter through the error
  // handler Nest installs, so they get the same { code, message, requestId } shape.

  let management: ManagementServer;
  try {
    // Built once, from the module graph NestFactory.create made (controllers register their
    // routes only at listen): a request for it costs a string write.
    serveOpenApiDocument(fastify, buildOpenApiDocument(app, config, definition.openapi));
    // After the hooks above, so raw routes registered here get request ids and metrics too.
    await definition.configure?.(app, config);
    // Lifecycle hooks (onModuleInit: migrations, key loading) run here; if one fails, close what
    // already opened (database pool, Redis) so a failed start leaves nothing running.
    await app.listen({ port: config.port, host: config.host });
    management = await startManagementServer(config.management, { metrics, health: app.get(HealthService) });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  const address = app.getHttpServer().address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
  const managementServer = management;
  return {
    app,
    config,
    url,
    managementUrl: managementServer.url,
    routes: () => routes.list(),
    close: async () => {
      await managementServer.close();
      await app.close();
      // Sends the spans still waiting in the batch.
      await tracerProvider?.shutdown().catch(() => undefined);
    },
  };
}

/** Trusts the `hops` proxies nearest to us (proxy-addr's `i` is the hop index, 0 = our peer). */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/**
 * The whole of every `main.ts`: start the app from `process.env`, print one ready line, stop on
 * SIGINT/SIGTERM. A configuration problem stops the process with a message naming each variable.
 */
export async function runApp<C extends BaseConfig>(definition: AppDefinition<C>): Promise<void> {
  try {
    const running = await startApp(definition, process.env);
    process.stdout.write(`${definition.name} ready on ${running.url} (metrics and health on ${running.managementUrl})\n`);
    let closing = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (closing) return;
      closing = true;
      running.close().then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`${definition.name}: error while stopping after ${signal}: ${String(err)}\n`);
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (err) {
    exitOnStartupError(definition.name, err);
  }
}

/** Prints a start-up failure without a stack trace for config errors, and exits non-zero. */
export function exitOnStartupError(name: string, err: unknown): never {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`${name} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
