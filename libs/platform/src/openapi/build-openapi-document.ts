import { METHOD_METADATA } from '@nestjs/common/constants.js';
import type { INestApplication } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import {
  DocumentBuilder,
  type OpenAPIObject,
  type OperationObject,
  type PathItemObject,
  type SecurityRequirementObject,
  type SecuritySchemeObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { IS_PUBLIC_KEY } from '../auth/public.decorator.js';
import type { BaseConfig } from '../config/base-config.js';
import { routeRulesOf } from '../http/request-rules.js';
import { ERROR_RESPONSES, ERROR_SCHEMAS, OPENAPI_COMPONENTS, errorResponsesFor, responseRef } from './error-components.js';
import type { OpenApiSpec } from './openapi-spec.js';

/** Where every app serves its document. */
export const OPENAPI_PATH = '/openapi.json';

/** The security scheme name of RFC 6750 bearer tokens (what `bearerGuard` operations require). */
export const BEARER_SCHEME = 'bearer';

/** RFC 6750 bearer tokens as every service takes them (the gateway lists it for its proxied routes). */
export const BEARER_JWT_SCHEME: SecuritySchemeObject = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    'RFC 6750 `Authorization: Bearer <access token>`: an RS256 JWT from auth whose `aud` names the service, verified against ' +
    "auth's JWKS, not revoked. The operation's listed scopes must all be in the token's `scope`.",
};

/** The `info.version` of every document: the suite's version (package.json), the services ship together. */
const API_VERSION = '0.1.0';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** What every document says about the listener it does not describe. */
const MANAGEMENT_NOTE =
  '**Management listener.** `MANAGEMENT_PORT` is a separate server (not in this document, and not reachable through the gateway): ' +
  '`GET /metrics` (Prometheus text), `GET /health/live` (`{ "status": "ok" }`) and `GET /health/ready` (the readiness checks with their ' +
  "details, 503 with `Retry-After` when one fails). The `/health/*` routes below are the main port's detail-free twins.";

/**
 * Builds the app's OpenAPI 3.1 document from its controllers and DTOs (`@nestjs/swagger`), then adds
 * what the decorators can't know: the security of each operation (from `@Public()` and the scopes
 * metadata), the platform's error responses (RFC 6749 §5.2 form on routes whose `@Rules()` say so),
 * the routes no controller declares (`rawPaths`, and `/openapi.json` itself). Called once at start-up,
 * after `NestFactory.create` (the module graph exists) and before `listen`.
 */
export function buildOpenApiDocument<C extends BaseConfig>(
  app: INestApplication,
  config: C,
  spec: OpenApiSpec<C> = { summary: '' },
): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle(`authmesh ${config.app}`)
    .setVersion(API_VERSION)
    .setDescription([spec.summary, MANAGEMENT_NOTE].filter(Boolean).join('\n\n'))
    .addTag('Health', 'Liveness and readiness on the main port (yes or no, no details).')
    .addTag('OpenAPI', 'This document.');
  for (const tag of spec.tags ?? []) builder.addTag(tag.name, tag.description);
  if (spec.bearerGuard) builder.addSecurity(BEARER_SCHEME, BEARER_JWT_SCHEME);
  for (const [name, scheme] of Object.entries(spec.securitySchemes?.(config) ?? {})) builder.addSecurity(name, scheme);
  const base = builder.build();
  base.components = { ...base.components, schemas: { ...ERROR_SCHEMAS, ...spec.schemas }, responses: { ...ERROR_RESPONSES } };

  // The operation id names the controller class and method, so each operation can be traced back
  // to the handler whose metadata (public, scopes, error style) describes it.
  const document = SwaggerModule.createDocument(app, base, { operationIdFactory: (controller, method) => `${controller}_${method}` });
  describeHandlers(app, document, spec);
  // The schemas the scan made are DTO classes, and the validation pipe rejects a field a DTO does
  // not declare (forbidNonWhitelisted): say so, so a client generator does not invent extras.
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {}))
    if (!(name in base.components.schemas!) && 'properties' in schema) schema.additionalProperties ??= false;

  for (const [path, item] of Object.entries(spec.rawPaths?.(config) ?? {})) document.paths[path] = { ...document.paths[path], ...item };
  document.paths[OPENAPI_PATH] = {
    get: {
      tags: ['OpenAPI'],
      summary: 'This OpenAPI 3.1 document',
      operationId: 'openapi',
      responses: {
        '200': { description: 'The document, built once at start-up.', content: { 'application/json': { schema: { type: 'object' } } } },
        ...errorResponsesFor('platform'),
      },
    },
  };
  return document;
}

/** Sets security and error responses on every operation a controller handler declares. */
function describeHandlers<C extends BaseConfig>(app: INestApplication, document: OpenAPIObject, spec: OpenApiSpec<C>): void {
  const operations = new Map<string, OperationObject>();
  for (const item of Object.values(document.paths) as PathItemObject[])
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (op?.operationId) operations.set(op.operationId, op);
    }

  const reflector = app.get(Reflector);
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const key of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[key];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const op = operations.get(`${controller.name}_${key}`);
        if (!op) continue;
        const targets = [handler, controller];
        // What `@Rules()` put in the route's Fastify config, read the way the request hooks read it.
        const routeOptions = { config: Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as unknown };
        const rules = routeRulesOf({ routeOptions } as Pick<FastifyRequest, 'routeOptions'>);
        const isPublic = reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true;
        if (spec.bearerGuard && !isPublic) {
          const key = spec.bearerGuard.scopesMetadataKey;
          const scopes = key ? (reflector.getAllAndOverride<readonly string[] | undefined>(key, targets) ?? []) : [];
          // OpenAPI 3.1 §4.8.30: for non-OAuth schemes the array MAY list the roles required; here, scopes.
          const requirement: SecurityRequirementObject = { [BEARER_SCHEME]: [...scopes] };
          op.security = [requirement, ...(op.security ?? [])];
          op.responses['401'] ??= responseRef(OPENAPI_COMPONENTS.errorResponse);
          if (scopes.length) op.responses['403'] ??= responseRef(OPENAPI_COMPONENTS.errorResponse);
        }
        const errors = errorResponsesFor(rules.errorStyle === 'rfc6749' ? 'rfc6749' : 'platform');
        op.responses['4XX'] ??= errors['4XX'];
        op.responses['5XX'] ??= errors['5XX'];
      }
    }
  }
}
