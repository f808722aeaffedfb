// Framework-free core: JWKS cache, verification, claim rules, typed errors.
export * from './core/errors.js';
export * from './core/claims.js';
export * from './core/revocation.js';
export * from './core/bearer-token.js';
export * from './core/parse-compact-jws.js';
export * from './core/header-cache.js';
export * from './core/check-header.js';
export * from './core/check-claims.js';
export * from './core/verify-signature.js';
export * from './core/verified-token-cache.js';
export * from './core/token-verifier.js';
export * from './core/jwks/rsa-verification-key.js';
export * from './core/jwks/import-jwks.js';
export * from './core/jwks/cache-control.js';
export * from './core/jwks/http-jwks-fetcher.js';
export * from './core/jwks/jwks-cache.js';
// Configuration read from the environment through platform's EnvReader.
export * from './config/verifier-config.js';
// Nest adapter.
export * from './nest/injection-tokens.js';
export * from './nest/http-errors.js';
export * from './nest/scopes.decorator.js';
export * from './nest/current-principal.decorator.js';
export * from './nest/verifier-metrics.js';
export * from './nest/token-verifiers.js';
export * from './nest/jwks-lifecycle.js';
export * from './nest/jwt-auth.guard.js';
export * from './nest/whoami.controller.js';
export * from './nest/token-verifier.module.js';
