import { UNACCEPTABLE_STRING_PROBLEM, isAcceptableString } from '@authmesh/platform';
import { InvalidRequest } from './oauth.errors.js';

/**
 * Parameters of an OAuth request body (form or JSON). RFC 6749 §3.2: parameters must not be
 * included more than once; unknown parameters are ignored.
 */
export class OAuthParams {
  constructor(private readonly body: unknown) {
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw new InvalidRequest('The request body must be application/x-www-form-urlencoded or a JSON object');
    }
  }

  optional(name: string): string | undefined {
    const v = (this.body as Record<string, unknown> | null | undefined)?.[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (Array.isArray(v)) throw new InvalidRequest(`Parameter ${name} must not be repeated`);
    if (typeof v !== 'string') throw new InvalidRequest(`Parameter ${name} must be a string`);
    if (v.length > 8192) throw new InvalidRequest(`Parameter ${name} is too long`);
    // The platform's one string rule (also applied to every body before the handler).
    if (!isAcceptableString(v)) throw new InvalidRequest(`Parameter ${name} ${UNACCEPTABLE_STRING_PROBLEM}`);
    return v;
  }

  required(name: string): string {
    const v = this.optional(name);
    if (v === undefined) throw new InvalidRequest(`Missing required parameter: ${name}`);
    return v;
  }
}
