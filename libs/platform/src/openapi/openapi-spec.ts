import type { OpenAPIObject, SchemaObject, SecuritySchemeObject } from '@nestjs/swagger';
import type { BaseConfig } from '../config/base-config.js';

/** The `paths` of an OpenAPI document (what raw Fastify routes add to the scanned controllers). */
export type OpenApiPaths = OpenAPIObject['paths'];

/**
 * What an app says about its OpenAPI document (`GET /openapi.json`) beyond what the platform reads
 * from its controllers and DTOs. The document is built once, at start-up, from the validated config.
 */
export interface OpenApiSpec<C extends BaseConfig = BaseConfig> {
  /** What the service is for, in a sentence or two (Markdown, the document's `info.description`). */
  readonly summary: string;
  /**
   * A global guard requires a bearer token on every Nest route not marked `@Public()` (the
   * token verifier's JwtAuthGuard): protected operations then list the `bearer` scheme, with the
   * scopes that `scopesMetadataKey` (the verifier's `@Scopes()` metadata) names.
   */
  readonly bearerGuard?: { readonly scopesMetadataKey?: string };
  /** Security schemes beyond `bearer`, e.g. the gateway's session cookie and CSRF header. */
  readonly securitySchemes?: (config: C) => Record<string, SecuritySchemeObject>;
  /** Operations served by raw Fastify routes, which no controller declares (the gateway's proxy table). */
  readonly rawPaths?: (config: C) => OpenApiPaths;
  /**
   * Named schemas for what handlers answer (the views are interfaces, which leave no metadata):
   * decorators point at them with `schemaRef('OrderView')`.
   */
  readonly schemas?: Record<string, SchemaObject>;
  /** Tags the raw paths use, with their descriptions. */
  readonly tags?: readonly { readonly name: string; readonly description: string }[];
}
