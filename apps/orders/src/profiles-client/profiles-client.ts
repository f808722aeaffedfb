import { DependencyUnavailableError } from '@authmesh/platform';
import { ServiceAuthError, type ServiceHttpClient } from '@authmesh/service-auth';

/** The address as profiles returns it. */
export interface ProfileAddress {
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

function asAddress(value: unknown): ProfileAddress | null {
  if (typeof value !== 'object' || value === null) return null;
  const a = value as Record<string, unknown>;
  if (!isText(a.line1) || !isText(a.city) || !isText(a.postalCode) || !isText(a.country)) return null;
  return {
    line1: a.line1,
    ...(isText(a.line2) ? { line2: a.line2 } : {}),
    city: a.city,
    postalCode: a.postalCode,
    country: a.country,
  };
}

/** Seconds a caller should wait before retrying when profiles (or auth, for our token) is unavailable. */
const RETRY_AFTER_S = 5;

/**
 * Orders' view of the profiles service: `GET /profiles/:userId` with orders' own client-credentials
 * token. Every way profiles can fail us (down, slow, 5xx, refusing our token) becomes one 503
 * `dependency_unavailable` with Retry-After; the reason goes to the log, not to the caller.
 */
export class ProfilesClient {
  constructor(private readonly http: ServiceHttpClient) {}

  /** The user's shipping address, or null when the user has no profile or no address. */
  async shippingAddressOf(userId: string, requestId?: string): Promise<ProfileAddress | null> {
    let res;
    try {
      res = await this.http.request<{ shippingAddress?: unknown }>({ path: `/profiles/${encodeURIComponent(userId)}`, requestId });
    } catch (e) {
      if (e instanceof ServiceAuthError) throw unavailable(e.message, e);
      throw e;
    }
    if (res.status === 404) return null;
    if (res.status === 200) return asAddress(res.body?.shippingAddress);
    // 401 after a fresh token, 403 (our client lost profiles:read or the allow-list), 5xx.
    throw unavailable(`profiles answered ${res.status} to GET /profiles/:userId`);
  }
}

function unavailable(detail: string, cause?: unknown): DependencyUnavailableError {
  return new DependencyUnavailableError('The profiles service is unavailable; try again later', {
    retryAfterSeconds: RETRY_AFTER_S,
    detail,
    cause,
  });
}
