import type { CodeFlowChecks } from './oidc/auth-relying-party.js';
import { isWellFormedSessionId, newSessionId, openValue, sealValue, sessionHash } from './session-seal.js';
import type { SessionStore } from './session-store.js';

/** A login started by `GET /session/login`, waiting for its callback. Times are ms since the epoch. */
export interface PendingLogin extends CodeFlowChecks {
  /** Where the browser goes once logged in: a same-origin path (`safeReturnTo`). */
  readonly returnTo: string;
  readonly startedAt: number;
}

const PENDING_INFO = 'authmesh-gateway-pending-login-v1';

/**
 * Started logins, each bound to the browser that started it: the browser holds only a random id
 * (the login cookie), the store holds the state, nonce, PKCE verifier and return path under the
 * id's hash, sealed with a key derived from the id (as sessions are). The callback must present
 * the cookie AND the matching `state`: a callback URL planted in another browser (login CSRF,
 * RFC 6749 §10.12) finds no pending login there. Taken once (GETDEL): a replayed callback finds
 * nothing.
 */
export class PendingLogins {
  constructor(
    private readonly store: SessionStore,
    private readonly ttlSeconds: number,
  ) {}

  /** Stores a pending login; its id is the login cookie's value. */
  async start(login: PendingLogin): Promise<string> {
    const id = newSessionId();
    await this.store.set(pendingKey(sessionHash(id)), sealValue(id, login, PENDING_INFO), this.ttlSeconds * 1000);
    return id;
  }

  /** The pending login of this id, removed from the store; undefined when unknown, expired, used or tampered. */
  async take(id: string | undefined): Promise<PendingLogin | undefined> {
    if (!isWellFormedSessionId(id)) return undefined;
    const sealed = await this.store.take(pendingKey(sessionHash(id)));
    return sealed === undefined ? undefined : openValue<PendingLogin>(id, sealed, PENDING_INFO);
  }
}

/** The store key of a pending login (its own namespace: a login id is never a session id). */
export function pendingKey(hash: string): string {
  return `login:{${hash}}`;
}
