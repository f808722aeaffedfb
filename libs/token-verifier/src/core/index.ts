// `@authmesh/token-verifier/core`: the framework-free core (no Nest import): JWKS cache,
// verification, claim rules, typed errors. What a service outside Nest uses.
export * from './errors.js';
export * from './claims.js';
export * from './revocation.js';
export * from './bearer-token.js';
export * from './parse-compact-jws.js';
export * from './header-cache.js';
export * from './check-header.js';
export * from './check-claims.js';
export * from './verify-signature.js';
export * from './verified-token-cache.js';
export * from './token-verifier.js';
export * from './jwks/rsa-verification-key.js';
export * from './jwks/import-jwks.js';
export * from './jwks/cache-control.js';
export * from './jwks/http-jwks-fetcher.js';
export * from './jwks/jwks-cache.js';
export * from './dpop/index.js';
export * from './credentials.js';
export * from './dpop-replay.js';
export * from './dpop-binding.js';
export * from './verification-span.js';
