import { type EnvReader, type EnvTable, envSchemas, envVar } from '@authmesh/platform';
import { ClientAssertionSigner, type ClientSigningKey } from '@authmesh/service-auth';
import { z } from 'zod';

/** How orders reaches profiles, service to service (a service calling a service). */
export interface ProfilesClientConfig {
  /** AUTH_TOKEN_URL (default `${AUTH_ISSUER}/oauth/token`). */
  readonly tokenUrl: string;
  /** AUTH_ISSUER: the `aud` of orders' client assertions (draft-ietf-oauth-rfc7523bis: the issuer identifier). */
  readonly issuer: string;
  /** ORDERS_CLIENT_ID (default `orders`). */
  readonly clientId: string;
  /** ORDERS_CLIENT_SECRET: client_secret_basic. Exactly one of it and `clientKey`. */
  readonly clientSecret?: string;
  /** ORDERS_CLIENT_KEY: private_key_jwt (RFC 7523 §2.2), no secret shared with auth. */
  readonly clientKey?: ClientSigningKey;
  /** PROFILES_URL (required), e.g. http://127.0.0.1:3003 */
  readonly profilesUrl: string;
  /** PROFILES_TIMEOUT_MS (default 2000): bound on each call to profiles, and on each token fetch. */
  readonly timeoutMs: number;
}

const httpUrl = envSchemas.url(['http', 'https']);

/** A private JWK (RSA or EC P-256, with `kid`; `alg` RS256, PS256 or ES256 when present), checked by building the signer now. */
const clientKey = z.string().transform((v, ctx): ClientSigningKey => {
  let jwk: unknown;
  try {
    jwk = JSON.parse(v);
  } catch {
    jwk = undefined;
  }
  const k = jwk as { kid?: unknown; alg?: unknown; d?: unknown } | undefined;
  if (typeof k !== 'object' || k === null || typeof k.kid !== 'string' || !k.kid || typeof k.d !== 'string') {
    ctx.addIssue({ code: 'custom', message: 'must be a private JWK as JSON, with its kid (the public half registered at auth)' });
    return z.NEVER;
  }
  const key: ClientSigningKey = { key: k as Record<string, string>, kid: k.kid, alg: k.alg as ClientSigningKey['alg'] };
  try {
    new ClientAssertionSigner(key);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^the client signing key /, '') });
    return z.NEVER;
  }
  return key;
});

/** Orders' own variables: its client at auth and the profiles service it calls. */
export const ORDERS_ENV = {
  tokenUrl: envVar.optional('AUTH_TOKEN_URL', httpUrl, {
    description: "Auth's token endpoint, where orders gets its client-credentials token for profiles.",
    derivedDefault: '`${AUTH_ISSUER}/oauth/token`',
  }),
  clientId: envVar.withDefault('ORDERS_CLIENT_ID', z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be a client id'), 'orders', {
    description: "Orders' confidential client at auth.",
  }),
  clientSecret: envVar.optional('ORDERS_CLIENT_SECRET', z.string().min(1), {
    description: "That client's secret (client_secret_basic); or ORDERS_CLIENT_KEY.",
    derivedDefault: 'none: ORDERS_CLIENT_KEY is used',
    secret: true,
  }),
  clientKey: envVar.optional('ORDERS_CLIENT_KEY', clientKey, {
    description:
      "That client's private key, a JWK as JSON with its `kid` (private_key_jwt, RFC 7523): a fresh signed assertion per token request, no secret shared with auth.",
    derivedDefault: 'none: ORDERS_CLIENT_SECRET is used',
    secret: true,
  }),
  profilesUrl: envVar.required('PROFILES_URL', httpUrl, {
    description: 'The profiles service orders calls.',
    hint: "the profiles service's URL, e.g. http://127.0.0.1:3003",
  }),
  timeoutMs: envVar.withDefault('PROFILES_TIMEOUT_MS', envSchemas.int(50, 60_000), '2000', {
    description: 'Bound on each call to profiles, and on each token fetch.',
  }),
} satisfies EnvTable;

/**
 * Reads orders' own variables; `undefined` when one has a problem. The token URL's default comes
 * from AUTH_ISSUER, read by the verifier, so the result takes the issuer once both have parsed.
 */
export function readProfilesClientConfig(reader: EnvReader): ((issuer: string) => ProfilesClientConfig) | undefined {
  const v = reader.read(ORDERS_ENV);
  if (v === undefined) return undefined;
  // A client authenticates one way (RFC 6749 §2.3): a secret or a key, never both, never neither.
  if ((v.clientSecret === undefined) === (v.clientKey === undefined)) {
    reader.problem(
      'ORDERS_CLIENT_SECRET',
      "exactly one of ORDERS_CLIENT_SECRET and ORDERS_CLIENT_KEY is required (the orders client's credential at auth)",
    );
    return undefined;
  }
  return (issuer) => ({ ...v, issuer, tokenUrl: v.tokenUrl ?? `${issuer}/oauth/token` });
}
