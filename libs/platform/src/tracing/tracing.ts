import {
  type Context,
  context,
  type Span,
  type SpanOptions,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appScope } from '../bootstrap/app-scope.js';
import type { AppName, TracingConfig } from '../config/base-config.js';

const NOOP_TRACER = new ProxyTracerProvider().getTracer('noop');

/**
 * The process's global tracer: every `trace.getTracer(...)` (ours, undici's instrumentation)
 * starts its spans on the provider of the app whose async scope the call runs in (`appScope`).
 *
 * Why not `NodeSDK` with one provider: a provider has one Resource, so one `service.name`; in
 * `npm start` four apps share the process and a trace must still say which hop each span is.
 * Each app gets a provider of its own (its resource, sampler, batch exporter), and this one routes.
 */
class AppRoutingTracer implements Tracer {
  constructor(
    private readonly name: string,
    private readonly version: string | undefined,
  ) {}

  private target(): Tracer {
    const provider = appScope.getStore()?.tracerProvider;
    return provider === undefined ? NOOP_TRACER : provider.getTracer(this.name, this.version);
  }

  startSpan(name: string, options?: SpanOptions, ctx?: Context): Span {
    return this.target().startSpan(name, options, ctx);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const target = this.target() as unknown as { startActiveSpan(name: string, ...rest: unknown[]): ReturnType<F> };
    return target.startActiveSpan(name, ...rest);
  }
}

class AppRoutingTracerProvider extends NodeTracerProvider {
  override getTracer(name: string, version?: string): Tracer {
    return new AppRoutingTracer(name, version);
  }
}

let installed = false;

/**
 * Once per process, when the first app with tracing on starts: the routing provider becomes the
 * global one, with Node's AsyncLocalStorage context manager and the W3C `traceparent` propagator,
 * and undici is instrumented.
 *
 * Why only undici among the instrumentations: every outbound call here (service-auth's client and
 * token fetcher, the gateway's proxy through @fastify/reply-from, its token exchange, the JWKS
 * fetch) goes through undici, whose instrumentation listens on `diagnostics_channel` and needs no
 * module hook. The http/pg/ioredis instrumentations patch modules through `require` hooks, which
 * do not see ESM imports without the `--import` loader (import-in-the-middle), fragile under
 * Jest's VM modules; server spans are made by Fastify hooks below instead (docs/operations.md).
 */
function installProcessTracing(): void {
  if (installed) return;
  installed = true;
  const router = new AppRoutingTracerProvider();
  // register(): the global provider, and Node's AsyncLocalStorage context manager (the default).
  // The propagator is named rather than defaulted: W3C Trace Context alone, no baggage.
  router.register({ propagator: new W3CTraceContextPropagator() });
  const undici = new UndiciInstrumentation();
  undici.setTracerProvider(router);
  undici.enable();
}

/** The tracer provider of one app (its `service.name`), exporting over OTLP/HTTP (JSON); undefined when tracing is off. */
export function createAppTracerProvider(app: AppName, config: TracingConfig): NodeTracerProvider | undefined {
  if (config.endpoint === undefined) return undefined;
  installProcessTracing();
  const url = `${config.endpoint.replace(/\/+$/, '')}/v1/traces`;
  return new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: app }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: config.scheduledDelayMs })],
  });
}

const serverSpans = new WeakMap<FastifyRequest, Span>();

/** The server span of a request (undefined with tracing off). */
export function serverSpanOf(request: FastifyRequest): Span | undefined {
  return serverSpans.get(request);
}

/** The trace id of the active span, when tracing is on (error bodies carry it next to `requestId`). */
export function activeTraceId(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx !== undefined && trace.isSpanContextValid(ctx) ? ctx.traceId : undefined;
}

/**
 * A SERVER span per request, child of the caller's `traceparent` (W3C Trace Context), named after
 * the route pattern (never the raw URL: bounded names, no ids or query strings in them).
 *
 * Why hooks rather than @fastify/otel: that plugin names its span `request`, adds a span per hook,
 * and leaves the raw request's stream events outside the span (body parsing resumes in the
 * socket's context). Binding `request.raw`/`reply.raw` to the span's context keeps everything the
 * handler does, after the body is read too, inside it.
 */
export function installServerSpans(fastify: FastifyInstance, provider: TracerProvider): void {
  const tracer = provider.getTracer('@authmesh/platform');
  fastify.addHook('onRequest', (request, reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url ?? 'unmatched';
    const span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { [ATTR_HTTP_REQUEST_METHOD]: request.method, [ATTR_HTTP_ROUTE]: route, 'authmesh.request_id': request.id },
      },
      parent,
    );
    serverSpans.set(request, span);
    const ctx = trace.setSpan(parent, span);
    context.bind(ctx, request.raw);
    context.bind(ctx, reply.raw);
    context.with(ctx, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = serverSpans.get(request);
    if (span !== undefined) {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
      const code = errorCodeOf(request);
      if (code !== undefined) span.setAttribute('authmesh.error_code', code);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}

const errorCodes = new WeakMap<FastifyRequest, string>();

/** The stable error `code` this request was answered with (recorded by the access log's onSend hook). */
export function errorCodeOf(request: FastifyRequest): string | undefined {
  return errorCodes.get(request);
}

/** Records the error code of an answer (`code`, or `error` in RFC 6749 form). */
export function recordErrorCode(request: FastifyRequest, code: string): void {
  errorCodes.set(request, code);
}

/**
 * A proxy's outgoing headers without the caller's `traceparent`/`tracestate` while tracing is on:
 * the undici instrumentation adds this hop's own, and two `traceparent` fields would reach the
 * upstream as one unparsable value (the trace would break there). With tracing off they pass
 * through unchanged, so a traced caller's backends still join its trace.
 */
export function withoutCallerTraceContext<H extends Record<string, unknown>>(headers: H): H {
  if (activeTraceId() === undefined) return headers;
  const { traceparent: _parent, tracestate: _state, ...rest } = headers;
  return rest as H;
}
