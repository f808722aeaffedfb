import { Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InjectConfig } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';

/** The pre-login cookie the forms' CSRF tokens are bound to (same attributes as the SSO cookie). */
export const CSRF_COOKIE = '__Host-authmesh_csrf';
/** RFC 5869 §3.2 `info`: this key serves this one purpose. */
const KEY_INFO = 'authmesh auth form-csrf v1';
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/**
 * CSRF protection of the hosted forms (login, consent, logout, password), OWASP's "signed double
 * submit cookie": a random pre-login cookie (HttpOnly, `__Host-`) and, in each form, the
 * HMAC-SHA-256 of it under a key derived from AUTH_KEK. A cross-site page can neither read the
 * cookie nor compute the token, so it can't submit a form in the user's name — including login
 * CSRF (signing the victim into the attacker's account), which SameSite does not stop because the
 * attacker's POST needs no cookie of the victim. Stateless, so it works across auth replicas.
 *
 * Why not @fastify/csrf-protection: it is not installed in this workspace (no new dependency
 * could be added); it implements the same design with @fastify/cookie.
 */
@Injectable()
export class FormCsrf {
  private readonly key: Buffer;

  constructor(@InjectConfig() config: AuthConfig) {
    // No salt: the KEK is uniformly random (RFC 5869 §3.1).
    this.key = Buffer.from(hkdfSync('sha256', config.auth.kek, Buffer.alloc(0), KEY_INFO, 32));
  }

  /** The token for this browser's forms; sets the pre-login cookie when it has none. */
  tokenFor(request: FastifyRequest, reply: FastifyReply): string {
    let value = request.cookies?.[CSRF_COOKIE];
    if (value === undefined || !COOKIE_VALUE.test(value)) {
      value = randomBytes(32).toString('base64url');
      void reply.setCookie(CSRF_COOKIE, value, { httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
    }
    return this.sign(value);
  }

  /** Whether `submitted` is the token of this browser's cookie (constant-time comparison). */
  verify(request: FastifyRequest, submitted: unknown): boolean {
    const value = request.cookies?.[CSRF_COOKIE];
    if (value === undefined || !COOKIE_VALUE.test(value) || typeof submitted !== 'string') return false;
    const expected = Buffer.from(this.sign(value));
    const got = Buffer.from(submitted);
    return got.length === expected.length && timingSafeEqual(got, expected);
  }

  private sign(value: string): string {
    return createHmac('sha256', this.key).update(value).digest('base64url');
  }
}
