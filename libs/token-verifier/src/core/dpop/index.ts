// DPoP (RFC 9449) proof checking, framework-free: auth's token endpoint and every verifier use it.
export * from './errors.js';
export * from './normalize-htu.js';
export * from './verify-dpop-proof.js';
export * from './nonce-source.js';
