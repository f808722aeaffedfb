import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** What a session holds, server-side only. Times are ms since the epoch. */
export interface SessionRecord {
  readonly sub: string;
  readonly accessToken: string;
  readonly accessExpiresAt: number;
  readonly refreshToken: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  /** The OIDC ID token of the login: `id_token_hint` of RP-initiated logout (absent in sessions from before the code flow). */
  readonly idToken?: string;
}

const ID_BYTES = 32;
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new session id: 256 random bits, base64url (the cookie value). */
export function newSessionId(): string {
  return randomBytes(ID_BYTES).toString('base64url');
}

/** Cheap shape check before any lookup: anything else is not one of our ids. */
export function isWellFormedSessionId(id: string | undefined): id is string {
  return id !== undefined && ID_PATTERN.test(id);
}

/**
 * The store key of a session: SHA-256 of its id. Redis (or a dump of it) never holds a usable
 * cookie: the id can't be recovered from the hash.
 */
export function sessionHash(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

const SESSION_INFO = 'authmesh-gateway-session-v1';

function sealingKey(id: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(id), Buffer.alloc(0), info, 32));
}

/**
 * Encrypts a session record (AES-256-GCM) under a key derived from the session id (HKDF), bound to
 * its store key as associated data. Defence in depth beyond the hashed key: a copy of Redis holds
 * neither a usable cookie nor the users' refresh tokens; only a request carrying the cookie can
 * open its session.
 */
export function sealSession(id: string, record: SessionRecord): string {
  return sealValue(id, record, SESSION_INFO);
}

/** Opens a sealed record; undefined when it does not open (tampered, or not this id's). */
export function openSession(id: string, sealed: string): SessionRecord | undefined {
  return openValue<SessionRecord>(id, sealed, SESSION_INFO);
}

/**
 * `sealSession` for any JSON value, under a key of its own purpose (`info`, HKDF's context): a
 * value sealed for one purpose never opens as another's.
 */
export function sealValue(id: string, value: unknown, info: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(id, info), iv);
  cipher.setAAD(Buffer.from(sessionHash(id)));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

/** Opens a value of `sealValue`; undefined when it does not open (tampered, another id's or another purpose's). */
export function openValue<T>(id: string, sealed: string, info: string): T | undefined {
  try {
    const raw = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(id, info), raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(sessionHash(id)));
    decipher.setAuthTag(raw.subarray(12, 28));
    const json = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    return JSON.parse(json) as T;
  } catch {
    return undefined;
  }
}
