// `@authmesh/token-verifier/passport`: adapters for @nestjs/passport and passport-jwt over the same core.
export * from './authmesh-passport-strategy.js';
export * from './authmesh.strategy.js';
export * from './authmesh-auth.guard.js';
export * from './passport-jwt.js';
