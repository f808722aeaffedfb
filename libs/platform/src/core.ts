// The framework-free part of platform: what a lib's Nest-free core (token-verifier's `core/`,
// revocation's `core/`) may import. `@authmesh/platform` itself loads Nest (modules, filters,
// health controllers); this entry loads nothing but plain functions.
export * from './backoff/backoff.js';
