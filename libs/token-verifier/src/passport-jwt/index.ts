// `@authmesh/token-verifier/passport-jwt`: for services that keep passport-jwt: our key source and revocation check.
export * from './passport-jwt.js';
