import { type EnvReader, envSchemas } from '@authmesh/platform';
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

export function readProfilesClientConfig(reader: EnvReader, issuer: string | undefined): ProfilesClientConfig {
  return {
    tokenUrl: reader.optional('AUTH_TOKEN_URL', httpUrl, issuer ? `${issuer}/oauth/token` : 'http://unset.invalid/'),
    clientId: reader.optional('ORDERS_CLIENT_ID', z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be a client id'), 'orders'),
    clientSecret: reader.required('ORDERS_CLIENT_SECRET', z.string().min(1), "the orders client's secret at auth"),
    profilesUrl: reader.required('PROFILES_URL', httpUrl, "the profiles service's URL, e.g. http://127.0.0.1:3003"),
    timeoutMs: reader.optional('PROFILES_TIMEOUT_MS', envSchemas.int(50, 60_000), '2000'),
  };
}
