import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per app (not prom-client's global one), so several apps can run in one
 * process (npm start) without their metrics colliding.
 */
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly httpErrors: Counter<'method' | 'route' | 'status' | 'code'>;

  constructor(appName: string) {
    this.registry.setDefaultLabels({ service: appName });
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency, by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    // A counter of its own rather than a `code` label on http_requests_total: the codes are a
    // bounded set, but only refusals carry one, and the dashboard's "why refused" panel needs it.
    this.httpErrors = new Counter({
      name: 'http_request_errors_total',
      help: 'HTTP answers with status >= 400, by route pattern, status and stable error code (`none` when the body had none)',
      labelNames: ['method', 'route', 'status', 'code'],
      registers: [this.registry],
    });
  }

  /** Records one answered request. `route` is the route pattern, never the raw URL (bounded cardinality). */
  observe(method: string, route: string, status: number, seconds: number, code?: string): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
    if (status >= 400) this.httpErrors.inc({ ...labels, code: code ?? 'none' });
  }
}
