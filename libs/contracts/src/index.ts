/**
 * Types and constants every app and lib agrees on: identifier patterns, grant-type URNs, the admin
 * API's view types and the error-code catalogue. Types and plain data only: no Nest, no I/O, no
 * import from another @authmesh lib, so anything may depend on it.
 */
// Error codes: the catalogue behind docs/errors.md, and the unions the error classes' `code` is typed with.
export * from './errors/index.js';
// Identifier patterns, OAuth names and the admin API's bodies.
export * from './identifiers.js';
export * from './oauth.js';
export * from './admin-api.js';
export * from './limits.js';
