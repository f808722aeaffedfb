// `@authmesh/token-verifier/passport`: adapters for @nestjs/passport over the same core (passport-jwt's key provider is /passport-jwt).
export * from './authmesh-passport-strategy.js';
export * from './authmesh.strategy.js';
export * from './authmesh-auth.guard.js';
