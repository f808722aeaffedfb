import type { ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';

/** Component names, so decorators and raw paths point at the same schemas and responses. */
export const OPENAPI_COMPONENTS = {
  errorSchema: 'ErrorBody',
  fieldProblemSchema: 'FieldProblem',
  oauthErrorSchema: 'OAuthErrorBody',
  errorResponse: 'PlatformError',
  oauthErrorResponse: 'OAuthError',
} as const;

/** `{ $ref }` to a component schema (the platform's, or one an app's `OpenApiSpec.schemas` names). */
export function schemaRef(name: string): ReferenceObject {
  return { $ref: `#/components/schemas/${name}` };
}

/** `{ $ref }` to a component response. */
export function responseRef(name: string): ReferenceObject {
  return { $ref: `#/components/responses/${name}` };
}

/** The platform's error shape (ErrorBody in http-error-body.ts), as every non-OAuth route answers a refusal. */
export const ERROR_SCHEMAS: Record<string, SchemaObject> = {
  [OPENAPI_COMPONENTS.errorSchema]: {
    type: 'object',
    description:
      'Every refusal outside /oauth/*: a stable machine-readable `code` (the API contract; the HTTP status says the class), ' +
      'a human `message`, and the `requestId` also sent as the `x-request-id` header and written to the log.',
    required: ['code', 'message'],
    properties: {
      code: {
        type: 'string',
        description: 'Stable error code, e.g. `validation_failed`, `token_expired`, `not_found`.',
        examples: ['validation_failed'],
      },
      message: { type: 'string', description: 'Human-readable; never a secret or an internal detail.' },
      requestId: { type: 'string', description: 'The request id (also the `x-request-id` response header).' },
      traceId: {
        type: 'string',
        pattern: '^[0-9a-f]{32}$',
        description: 'The W3C trace id of the request, present when tracing is on: find the whole trace, every hop, by it.',
      },
      details: {
        description: 'Public structured details. For `validation_failed`: `{ fields: FieldProblem[] }`, one entry per bad field.',
        anyOf: [
          {
            type: 'object',
            required: ['fields'],
            properties: { fields: { type: 'array', items: { $ref: `#/components/schemas/${OPENAPI_COMPONENTS.fieldProblemSchema}` } } },
          },
          { type: 'object', additionalProperties: true },
        ],
      },
    },
  },
  [OPENAPI_COMPONENTS.fieldProblemSchema]: {
    type: 'object',
    required: ['field', 'problems'],
    properties: {
      field: { type: 'string', description: 'The field, `query.x`, `params.x` or header that failed.' },
      problems: { type: 'array', items: { type: 'string' } },
    },
  },
  // RFC 6749 §5.2: an OAuth client library parses this form and nothing else.
  [OPENAPI_COMPONENTS.oauthErrorSchema]: {
    type: 'object',
    description: "RFC 6749 §5.2 error response, used by every /oauth/* refusal (including the platform's own: bad JSON, a too-large body).",
    required: ['error'],
    properties: {
      error: {
        type: 'string',
        description: 'RFC 6749 §5.2 / RFC 7009 / RFC 8693 code; `temporarily_unavailable` for 429 and 503.',
        examples: [
          'invalid_request',
          'invalid_client',
          'invalid_grant',
          'unauthorized_client',
          'unsupported_grant_type',
          'invalid_scope',
          'invalid_target',
          'server_error',
          'temporarily_unavailable',
        ],
      },
      error_description: { type: 'string', description: 'Human-readable detail (RFC 6749 §5.2).' },
    },
  },
};

const REQUEST_ID_HEADER = { 'x-request-id': { description: 'The request id, also in the body.', schema: { type: 'string' } } };

/** The shared responses the 4XX/5XX entries of every operation point at. */
export const ERROR_RESPONSES: Record<string, ResponseObject> = {
  [OPENAPI_COMPONENTS.errorResponse]: {
    description:
      'A refusal in the platform error shape. 401 carries `WWW-Authenticate: Bearer` (RFC 6750 §3); 405 carries `Allow`; ' +
      '415 carries `Accept-Post`; 429 and 503 carry `Retry-After`.',
    headers: REQUEST_ID_HEADER,
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${OPENAPI_COMPONENTS.errorSchema}` } } },
  },
  [OPENAPI_COMPONENTS.oauthErrorResponse]: {
    description:
      'An OAuth refusal in RFC 6749 §5.2 form, with `Cache-Control: no-store`; 401 `invalid_client` carries `WWW-Authenticate: Basic`.',
    headers: REQUEST_ID_HEADER,
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${OPENAPI_COMPONENTS.oauthErrorSchema}` } } },
  },
};

/** The `4XX`/`5XX` entries of an operation, in the platform's shape or RFC 6749's. */
export function errorResponsesFor(style: 'platform' | 'rfc6749'): Record<'4XX' | '5XX', ReferenceObject> {
  const ref = responseRef(style === 'rfc6749' ? OPENAPI_COMPONENTS.oauthErrorResponse : OPENAPI_COMPONENTS.errorResponse);
  return { '4XX': ref, '5XX': ref };
}
