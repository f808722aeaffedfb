import { type EnvReader, type EnvTable, envSchemas, envVar } from '@authmesh/platform';
import { z } from 'zod';

/** How orders reaches profiles, service to service (a service calling a service). */
export interface ProfilesClientConfig {
  /** AUTH_TOKEN_URL (default `${AUTH_ISSUER}/oauth/token`). */
  readonly tokenUrl: string;
  /** ORDERS_CLIENT_ID (default `orders`). */
  readonly clientId: string;
  /** ORDERS_CLIENT_SECRET (required). */
  readonly clientSecret: string;
  /** PROFILES_URL (required), e.g. http://127.0.0.1:3003 */
  readonly profilesUrl: string;
  /** PROFILES_TIMEOUT_MS (default 2000): bound on each call to profiles, and on each token fetch. */
  readonly timeoutMs: number;
}

const httpUrl = envSchemas.url(['http', 'https']);

/** Orders' own variables: its client at auth and the profiles service it calls. */
export const ORDERS_ENV = {
  tokenUrl: envVar.optional('AUTH_TOKEN_URL', httpUrl, {
    description: "Auth's token endpoint, where orders gets its client-credentials token for profiles.",
    derivedDefault: '`${AUTH_ISSUER}/oauth/token`',
  }),
  clientId: envVar.withDefault('ORDERS_CLIENT_ID', z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be a client id'), 'orders', {
    description: "Orders' confidential client at auth.",
  }),
  clientSecret: envVar.required('ORDERS_CLIENT_SECRET', z.string().min(1), {
    description: "That client's secret.",
    hint: "the orders client's secret at auth",
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
  return (issuer) => ({ ...v, tokenUrl: v.tokenUrl ?? `${issuer}/oauth/token` });
}
