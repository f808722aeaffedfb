// `@authmesh/token-verifier/nest`: the Nest adapter (module, global guard, decorators) and the
// configuration read through platform's EnvReader.
export * from '../config/verifier-config.js';
export * from './injection-tokens.js';
export * from './http-errors.js';
export * from './scopes.decorator.js';
export * from './audience.decorator.js';
export * from './scopes.guard.js';
export * from './current-principal.decorator.js';
export * from './verifier-metrics.js';
export * from './token-verifiers.js';
export * from './jwks-lifecycle.js';
export * from './jwt-auth.guard.js';
export * from './whoami.controller.js';
export * from './token-verifier.module.js';
export * from './verifier-host.module.js';
export * from './redis-replay-store.js';
