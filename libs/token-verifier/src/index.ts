// `@authmesh/token-verifier`: the framework-free core and the Nest adapter. Its subpaths load
// less: `/core` (no Nest), `/nest`; `/passport` (@nestjs/passport, passport-jwt) only from there.
export * from './core/index.js';
export * from './nest/index.js';
