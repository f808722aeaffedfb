export * from './owned-servers.js';
export * from './ports.js';
export * from './test-app.js';
export * from './test-database.js';
export * from './http.js';
export * from './openapi.js';
