import { subscribe } from 'node:diagnostics_channel';
import { Histogram } from 'prom-client';
import { type AppScope, appScope } from '../bootstrap/app-scope.js';
import type { MetricsService } from './metrics.service.js';

interface UndiciRequest {
  origin?: string | URL;
  method?: string;
}

const histograms = new WeakMap<AppScope, Histogram<'target' | 'status'>>();
const started = new WeakMap<object, { at: number; scope: AppScope }>();
let subscribed = false;

function record(request: UndiciRequest, status: string): void {
  const start = started.get(request);
  if (start === undefined) return;
  started.delete(request);
  histograms.get(start.scope)?.observe({ target: String(request.origin ?? 'unknown'), status }, (performance.now() - start.at) / 1000);
}

/**
 * `http_client_request_duration_seconds{target,status}`: every outbound call an app makes (the
 * gateway to its upstreams and to auth, orders to profiles, token and JWKS fetches), time to the
 * response headers, by target origin. Read from undici's `diagnostics_channel` events (every
 * outbound call here goes through undici), charged to the app whose async scope made the call.
 * `target` is an origin from configuration (a handful per app), never a path: bounded cardinality.
 */
export function registerClientMetrics(scope: AppScope, metrics: MetricsService): void {
  histograms.set(
    scope,
    new Histogram({
      name: 'http_client_request_duration_seconds',
      help: 'Outbound HTTP calls (upstreams, auth, profiles, JWKS): seconds to the response headers, by target origin and status (`error`: no response)',
      labelNames: ['target', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [metrics.registry],
    }),
  );
  if (subscribed) return;
  subscribed = true;
  subscribe('undici:request:create', (message) => {
    const scope = appScope.getStore();
    const { request } = message as { request: UndiciRequest };
    if (scope !== undefined && histograms.has(scope)) started.set(request, { at: performance.now(), scope });
  });
  subscribe('undici:request:headers', (message) => {
    const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
    record(request, String(response.statusCode));
  });
  subscribe('undici:request:error', (message) => record((message as { request: UndiciRequest }).request, 'error'));
}
