import { Validator } from '@seriousme/openapi-schema-validator';
import type { RegisteredRoute, RunningApp } from '@authmesh/platform';

/** What `fetchOpenApi` found: the document, what the validator said, and which routes it leaves out. */
export interface OpenApiCheck {
  status: number;
  contentType: string | null;
  document: { openapi?: string; paths?: Record<string, Record<string, unknown>>; [k: string]: unknown };
  validation: { valid: boolean; errors?: unknown };
  /** `METHOD /path` of every registered route the document has no operation for (empty: all listed). */
  undocumented: string[];
  /** `METHOD /path` of every route compared (after normalisation), to show the comparison is not empty. */
  compared: string[];
  /** The statuses `/openapi.json` was counted with in the app's `http_requests_total` (management `/metrics`). */
  countedStatuses: string[];
}

const DOCUMENTED_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'PATCH']);

/**
 * Fastify's path syntax as an OpenAPI path template: `:id` → `{id}`, a trailing `*` (the gateway's
 * proxied sub-paths) → `{path}`.
 */
export function openApiPathOf(fastifyUrl: string): string {
  return fastifyUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/\*$/, '/{path}');
}

/**
 * The routes to look for in the document. Left out, on purpose:
 * - HEAD where a GET exists on the same path: Fastify adds it for every GET (`exposeHeadRoutes`),
 *   RFC 9110 §9.3.2 makes it the GET without a body; the document lists the GET;
 * - OPTIONS: CORS preflight (answered by @fastify/cors before any route), never an API operation;
 * - a path ending in `/` whose `{path}` wildcard twin is documented (`/api/orders/` is
 *   `/api/orders/{path}` with an empty path: Fastify registers both for a proxy prefix).
 */
export function routesToDocument(routes: readonly RegisteredRoute[]): { method: string; path: string }[] {
  const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url));
  const out = new Map<string, { method: string; path: string }>();
  for (const r of routes) {
    if (r.method === 'OPTIONS' || (r.method === 'HEAD' && gets.has(r.url))) continue;
    const path = r.url.length > 1 && r.url.endsWith('/') ? `${r.url}*` : r.url;
    const entry = { method: r.method, path: openApiPathOf(path) };
    out.set(`${entry.method} ${entry.path}`, entry);
  }
  return [...out.values()];
}

/**
 * Fetches `GET /openapi.json` from a running app over a real socket, validates it against the
 * OpenAPI JSON schema of its version (@seriousme/openapi-schema-validator) and compares its
 * operations with every route the app registered.
 *
 * @example
 * const check = await checkOpenApi(app);
 * expect(check.validation).toEqual({ valid: true });
 * expect(check.undocumented).toEqual([]);
 */
export async function checkOpenApi(app: Pick<RunningApp, 'url' | 'managementUrl' | 'routes'>): Promise<OpenApiCheck> {
  const res = await fetch(`${app.url}/openapi.json`);
  const document = (await res.json()) as OpenApiCheck['document'];
  const validation = await new Validator().validate(structuredClone(document) as Record<string, unknown>);
  const compared: string[] = [];
  const undocumented: string[] = [];
  for (const route of routesToDocument(app.routes())) {
    const name = `${route.method} ${route.path}`;
    compared.push(name);
    const known = DOCUMENTED_METHODS.has(route.method) || route.method === 'HEAD';
    if (!known || document.paths?.[route.path]?.[route.method.toLowerCase()] === undefined) undocumented.push(name);
  }
  // The request is counted in onResponse, after the body went out: give it a moment under load.
  let countedStatuses: string[] = [];
  for (let attempt = 0; attempt < 40 && countedStatuses.length === 0; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25));
    const metrics = await (await fetch(`${app.managementUrl}/metrics`)).text();
    countedStatuses = metrics
      .split('\n')
      .filter((line) => line.startsWith('http_requests_total{') && line.includes('route="/openapi.json"'))
      .map((line) => /status="(\d+)"/.exec(line)?.[1] ?? '?');
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    document,
    validation,
    undocumented,
    compared,
    countedStatuses,
  };
}
