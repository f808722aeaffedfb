// Service-to-service calls: client-credentials tokens (one source per audience) and the HTTP client that uses them.
export * from './errors.js';
export * from './client-assertion.js';
export * from './dpop-key.js';
export * from './token-fetcher.js';
export * from './token-source.js';
export * from './service-http-client.js';
