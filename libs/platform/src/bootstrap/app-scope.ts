import type { TracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { AppName } from '../config/base-config.js';

/**
 * What belongs to one running app when several share a process (`npm start`, the e2e tests): its
 * logger and its tracer provider. Nest's `Logger` and OpenTelemetry's global tracer are
 * process-wide singletons; both look the current app up here instead.
 */
export interface AppScope {
  readonly app: AppName;
  readonly logger: Logger;
  /** Undefined when tracing is off for this app. */
  readonly tracerProvider: (TracerProvider & { shutdown(): Promise<void> }) | undefined;
}

/**
 * `startApp` runs the whole boot of an app inside `appScope.run(scope, …)`. Everything created
 * there inherits the scope through Node's async context: the HTTP server's listening socket (so
 * every request it accepts), timers set by lifecycle hooks, Redis and database connections. A log
 * line or a span started anywhere in that app then finds its own app, not the last one booted.
 */
export const appScope = new AsyncLocalStorage<AppScope>();
