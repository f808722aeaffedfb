import { Logger } from '@nestjs/common';
import { decodeJwt } from 'jose';
import { randomBytes } from 'node:crypto';
import { type AuthAnswer, type AuthClient, type TokenResponse, asTokenResponse, oauthError } from '../auth-client/auth-client.js';
import type { CodeFlowTokens } from './oidc/auth-relying-party.js';
import type { GatewaySettings } from '../config/gateway.config.js';
import { AuthUnavailableError, SessionExpiredError } from '../errors/gateway-errors.js';
import type { ForwardContext } from '../proxy/forward-headers.js';
import { type SessionRecord, isWellFormedSessionId, newSessionId, openSession, sealSession, sessionHash } from './session-seal.js';
import type { SessionStore } from './session-store.js';

/** What `GET /session` answers. */
export type SessionView = { authenticated: true; csrfToken: string; sub: string } | { authenticated: false };

/** A live session, as found for one request. */
export interface ActiveSession {
  readonly id: string;
  readonly hash: string;
  readonly record: SessionRecord;
}

export interface SessionServiceOptions {
  readonly settings: GatewaySettings;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

const LOCK_POLL_MS = 25;
/**
 * How much longer the refresh lock lives than the refresh's own deadline: room for the re-read
 * before it and the compare-and-set after it (Redis round trips), so a refresh never outlives the
 * lock that keeps a second replica from spending the same refresh token.
 */
const LOCK_MARGIN_MS = 3000;

/**
 * BFF sessions (docs/architecture.md, "Browser sessions (BFF)"): the tokens stay in the gateway, the browser holds only
 * an opaque cookie. Idle timeout = the store entry's TTL, extended on every use; absolute timeout
 * from login, also capping that TTL. Access tokens are refreshed shortly before they expire, with
 * exactly one refresh per session in flight across every replica: auth treats a second use of a
 * refresh token as theft and revokes the whole family (no grace window), so two concurrent
 * refreshes would log the user out.
 */
export class SessionService {
  private readonly logger = new Logger('Sessions');
  private readonly now: () => number;
  private readonly settings: GatewaySettings;
  /** In-process single flight: concurrent requests of one session share one refresh. */
  private readonly refreshing = new Map<string, Promise<SessionRecord>>();

  constructor(
    private readonly store: SessionStore,
    private readonly auth: AuthClient,
    options: SessionServiceOptions,
  ) {
    this.settings = options.settings;
    this.now = options.now ?? Date.now;
  }

  /**
   * Opens a new session holding the tokens of a finished code-flow login. A new random id every
   * time, and the session the request presented (if any) is ended first: an id planted before
   * login is never promoted to an authenticated session (session fixation, OWASP).
   */
  async open(tokens: CodeFlowTokens, presentedId: string | undefined, ctx: ForwardContext): Promise<{ id: string; view: SessionView }> {
    if (tokens.refreshToken === undefined) {
      // No refresh token: the session would die with its first access token. The gateway's client lacks the refresh_token grant.
      throw new AuthUnavailableError(
        'the token response of the code exchange has no refresh token (does the gateway client have the refresh_token grant?)',
      );
    }
    if (isWellFormedSessionId(presentedId)) await this.end(presentedId, ctx, 'replaced by a new login');
    const id = newSessionId();
    const now = this.now();
    const record: SessionRecord = {
      ...this.tokensOf(
        { access_token: tokens.accessToken, token_type: 'Bearer', expires_in: tokens.expiresIn ?? 0, refresh_token: tokens.refreshToken },
        undefined,
      ),
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      idToken: tokens.idToken,
    };
    try {
      await this.write(id, sessionHash(id), record);
    } catch (e) {
      // No session to hold them: the fresh tokens must not stay alive at auth either.
      await this.auth.revokeRefreshToken(record.refreshToken, ctx).catch(() => undefined);
      throw e;
    }
    return { id, view: viewOf(record) };
  }

  /** The session behind a cookie, its idle timer extended; SessionExpiredError when there is none. */
  async authenticate(id: string | undefined): Promise<ActiveSession> {
    if (!isWellFormedSessionId(id)) throw new SessionExpiredError('malformed session cookie');
    const hash = sessionHash(id);
    const record = await this.read(id, hash);
    if (!record) throw new SessionExpiredError('no such session (unknown, idle timeout, or logged out)');
    const ttl = this.ttlOf(record);
    if (ttl <= 0) {
      await this.store.delete(storeKey(hash));
      throw new SessionExpiredError('absolute session timeout');
    }
    if (!(await this.store.touch(storeKey(hash), ttl))) throw new SessionExpiredError('session ended meanwhile');
    return { id, hash, record };
  }

  /** `GET /session`: the view of the cookie's session, or `{ authenticated: false }`. */
  async view(id: string | undefined): Promise<SessionView> {
    try {
      return viewOf((await this.authenticate(id)).record);
    } catch (e) {
      if (e instanceof SessionExpiredError) return { authenticated: false };
      throw e;
    }
  }

  /**
   * An access token of the session valid for at least GATEWAY_SESSION_REFRESH_BEFORE_S, refreshing
   * it first if needed (single flight in-process, and a Redis lock across replicas).
   */
  async accessToken(session: ActiveSession, ctx: ForwardContext): Promise<string> {
    if (!this.needsRefresh(session.record)) return session.record.accessToken;
    let flight = this.refreshing.get(session.hash);
    if (!flight) {
      flight = this.refreshUnderLock(session, ctx).finally(() => this.refreshing.delete(session.hash));
      this.refreshing.set(session.hash, flight);
    }
    return (await flight).accessToken;
  }

  /** Deletes the session without calling auth (its tokens are already dead there). */
  async discard(session: ActiveSession): Promise<void> {
    await this.store.delete(storeKey(session.hash));
  }

  /** Revokes the session's refresh family at auth, then deletes the session. */
  async logout(session: ActiveSession, ctx: ForwardContext): Promise<void> {
    const answer = await this.auth.revokeRefreshToken(session.record.refreshToken, ctx);
    // RFC 7009 §2.2: 200 whatever the token was; anything else means it may still be live, so the
    // session stays and the client can retry rather than be told it is logged out.
    if (answer.status !== 200) throw new AuthUnavailableError(`revocation answered ${answer.status}`);
    await this.store.delete(storeKey(session.hash));
  }

  private async refreshUnderLock(session: ActiveSession, ctx: ForwardContext): Promise<SessionRecord> {
    const lockKey = sessionLockKey(session.hash);
    // The refresh gets ONE deadline (GATEWAY_UPSTREAM_TIMEOUT_MS, from the moment the lock is
    // taken: connect, headers and body together) and the lock outlives it by LOCK_MARGIN_MS; if
    // this replica dies, the lock frees itself.
    const refreshDeadlineMs = this.settings.upstreamTimeoutMs;
    const lockTtl = refreshDeadlineMs + LOCK_MARGIN_MS;
    const deadline = this.now() + lockTtl;
    let token = await this.store.tryLock(lockKey, lockTtl);
    while (token === undefined && this.now() < deadline) {
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
      // Another replica is refreshing: it may be done already.
      const current = await this.read(session.id, session.hash);
      if (!current) throw new SessionExpiredError('session ended during a refresh elsewhere');
      if (!this.needsRefresh(current)) return current;
      token = await this.store.tryLock(lockKey, lockTtl);
    }
    if (token === undefined) throw new AuthUnavailableError('timed out waiting for another replica to refresh the session');
    const signal = AbortSignal.timeout(refreshDeadlineMs);
    try {
      // Re-read under the lock: another replica may have refreshed (and rotated the refresh token) since we read it.
      const current = await this.read(session.id, session.hash);
      if (!current) throw new SessionExpiredError('session ended during a refresh elsewhere');
      if (!this.needsRefresh(current)) return current;
      return await this.refresh(session, current, ctx, { key: lockKey, token, signal });
    } finally {
      await this.store.unlock(lockKey, token).catch(() => undefined);
    }
  }

  private async refresh(
    session: ActiveSession,
    current: SessionRecord,
    ctx: ForwardContext,
    lock: { key: string; token: string; signal: AbortSignal },
  ): Promise<SessionRecord> {
    let answer: AuthAnswer;
    try {
      answer = await this.auth.refresh(current.refreshToken, ctx, lock.signal);
    } catch (e) {
      // Auth unreachable (or past the deadline): keep using the current access token while it is still valid.
      if (current.accessExpiresAt > this.now()) return current;
      throw e;
    }
    const tokens = asTokenResponse(answer);
    if (!tokens) {
      if (oauthError(answer) === 'invalid_grant') {
        // The family is dead (revoked, reused, expired): so is the session.
        await this.store.delete(storeKey(session.hash));
        throw new SessionExpiredError('refresh token refused by auth (invalid_grant)');
      }
      if (current.accessExpiresAt > this.now()) return current;
      throw new AuthUnavailableError(`refresh answered ${answer.status} ${oauthError(answer) ?? ''}`);
    }
    const next: SessionRecord = { ...current, ...this.tokensOf(tokens, current.refreshToken) };
    const ttl = this.ttlOf(next);
    if (ttl <= 0) throw new SessionExpiredError('absolute session timeout');
    // Stored only while the lock is still ours: had it expired, another replica may be refreshing
    // with the same (now spent) refresh token, and the last writer must not be the stale one.
    if (await this.store.setIfLocked(storeKey(session.hash), sealSession(session.id, next), ttl, lock.key, lock.token)) return next;
    this.logger.warn('the refresh lock expired before the refreshed tokens could be stored; re-reading the session');
    const stored = await this.read(session.id, session.hash);
    if (!stored) throw new SessionExpiredError('session ended during the refresh');
    if (!this.needsRefresh(stored)) return stored;
    throw new AuthUnavailableError('lost the refresh lock before storing the refreshed tokens');
  }

  private async end(id: string, ctx: ForwardContext, reason: string): Promise<void> {
    const hash = sessionHash(id);
    const record = await this.read(id, hash);
    await this.store.delete(storeKey(hash));
    if (!record) return;
    // Best effort: the old session is gone either way; its refresh family should not outlive it.
    await this.auth.revokeRefreshToken(record.refreshToken, ctx).catch((e: unknown) => {
      this.logger.warn(`could not revoke the refresh token of a session ${reason}: ${String(e)}`);
    });
  }

  private tokensOf(
    tokens: TokenResponse,
    previousRefresh: string | undefined,
  ): Pick<SessionRecord, 'sub' | 'accessToken' | 'accessExpiresAt' | 'refreshToken'> {
    // The token comes straight from auth over our own connection; it is verified again (edge
    // verification) every time it is forwarded. Here only its sub and exp are read.
    const claims = decodeJwt(tokens.access_token);
    const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : this.now() + tokens.expires_in * 1000;
    const refreshToken = tokens.refresh_token ?? previousRefresh;
    if (refreshToken === undefined || typeof claims.sub !== 'string')
      throw new AuthUnavailableError('auth answered a token response without a refresh token or sub');
    return { sub: claims.sub, accessToken: tokens.access_token, accessExpiresAt: exp, refreshToken };
  }

  private needsRefresh(record: SessionRecord): boolean {
    return record.accessExpiresAt - this.now() <= this.settings.sessionRefreshBeforeSeconds * 1000;
  }

  /** Time to live: the idle timeout, but never past the absolute one. */
  private ttlOf(record: SessionRecord): number {
    const absoluteLeft = record.createdAt + this.settings.sessionAbsoluteSeconds * 1000 - this.now();
    return Math.min(this.settings.sessionIdleSeconds * 1000, absoluteLeft);
  }

  private async read(id: string, hash: string): Promise<SessionRecord | undefined> {
    const sealed = await this.store.get(storeKey(hash));
    return sealed === undefined ? undefined : openSession(id, sealed);
  }

  private async write(id: string, hash: string, record: SessionRecord): Promise<void> {
    await this.store.set(storeKey(hash), sealSession(id, record), this.ttlOf(record));
  }
}

/**
 * The store key of a session: `session:{<hash>}`. The braces are a Redis Cluster hash tag (Cluster
 * spec, "Hash tags"): only `<hash>` picks the slot, so the session and its refresh lock
 * (`sessionLockKey`) live in one slot and SET_IF_LOCKED, a script touching both, runs on a
 * cluster (a script's keys must share a slot, else CROSSSLOT). On one server they are just names.
 */
export function storeKey(hash: string): string {
  return `session:{${hash}}`;
}

/** The refresh lock of a session: `session-lock:{<hash>}`, in its session's slot (see `storeKey`). */
export function sessionLockKey(hash: string): string {
  return `session-lock:{${hash}}`;
}

function viewOf(record: SessionRecord): SessionView {
  return { authenticated: true, csrfToken: record.csrfToken, sub: record.sub };
}
