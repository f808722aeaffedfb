import type { OpenApiPaths } from '@authmesh/platform';
import type { OperationObject } from '@nestjs/swagger';

function page(operationId: string, summary: string, contentType: string): { get: OperationObject } {
  return {
    get: {
      tags: ['Web app'],
      operationId,
      summary,
      security: [],
      responses: { '200': { description: 'The file.', content: { [contentType]: { schema: { type: 'string' } } } } },
    },
  };
}

/** The web app's raw routes (web-app.plugin.ts), for the gateway's `GET /openapi.json`. */
export function webAppPaths(): OpenApiPaths {
  return {
    '/': page('web_app_index', 'The web app: sign in, the profile, the orders (HTML; strict CSP)', 'text/html'),
    '/account': page(
      'web_app_account',
      "The account page: the user's sessions, sign out one or everywhere (HTML; strict CSP)",
      'text/html',
    ),
    '/assets/{file}': {
      get: {
        ...page('web_app_asset', "The web app's modules and stylesheet", 'application/octet-stream').get,
        parameters: [
          { name: 'file', in: 'path', required: true, description: 'A file of apps/gateway/web/assets.', schema: { type: 'string' } },
        ],
        responses: {
          '200': { description: 'The file (JavaScript module or CSS).' },
          '404': { description: 'No such file.' },
        },
      },
    },
    '/app-config.json': {
      get: {
        tags: ['Web app'],
        operationId: 'web_app_config',
        summary: "The browser URLs the web app needs: auth's origin and its change-password page",
        security: [],
        responses: {
          '200': {
            description: 'The configuration.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['authUrl', 'changePasswordUrl'],
                  properties: { authUrl: { type: 'string', format: 'uri' }, changePasswordUrl: { type: 'string', format: 'uri' } },
                },
              },
            },
          },
        },
      },
    },
  };
}
