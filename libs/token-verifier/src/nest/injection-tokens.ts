/** The module's resolved options. */
export const TOKEN_VERIFIER_OPTIONS = Symbol('TOKEN_VERIFIER_OPTIONS');
/** The RevocationChecker the verifier asks on every request (no-op until the revocation lib provides one). */
export const REVOCATION_CHECKER = Symbol('REVOCATION_CHECKER');
/** The KeySource every verifier of the module reads keys from (the JWKS cache unless `keys` is given). */
export const KEY_SOURCE = Symbol('KEY_SOURCE');
