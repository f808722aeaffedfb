import type { AuthAnswer, AuthClient } from '../auth-client/auth-client.js';
import type { GatewaySettings } from '../config/gateway.config.js';
import { AuthUnavailableError } from '../errors/gateway-errors.js';
import type { ForwardContext } from '../proxy/forward-headers.js';
import { sealSession, sessionHash } from './session-seal.js';
import { MemorySessionStore } from './session-store.js';
import { type ActiveSession, SessionService, sessionLockKey, storeKey } from './session.service.js';

/** A memory store whose refresh lock a test can take over, as another replica would once it expired. */
class TakeoverStore extends MemorySessionStore {
  private readonly tokens = new Map<string, string>();
  override async tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = await super.tryLock(key, ttlMs);
    if (token !== undefined) this.tokens.set(key, token);
    return token;
  }
  /** The lock expired and another replica took it. */
  async takeOver(key: string): Promise<void> {
    await this.unlock(key, this.tokens.get(key)!);
    await super.tryLock(key, 60_000);
  }
}

const settings = {
  upstreamTimeoutMs: 200,
  sessionIdleSeconds: 1800,
  sessionAbsoluteSeconds: 43_200,
  sessionRefreshBeforeSeconds: 30,
} as GatewaySettings;
const ctx: ForwardContext = { requestId: 'r', forwardedFor: '127.0.0.1', forwardedProto: 'http', forwardedHost: 'gw' };

function jwt(sub: string, expSeconds: number): string {
  const part = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ sub, exp: expSeconds })}.sig`;
}
const tokenAnswer = (access: string, refresh: string): AuthAnswer => ({
  status: 200,
  headers: {},
  body: { access_token: access, token_type: 'Bearer', expires_in: 30, refresh_token: refresh },
});

describe('session refresh under the lock', () => {
  let now: number;
  let store: TakeoverStore;
  let refresh: (token: string, signal: AbortSignal | undefined) => Promise<AuthAnswer>;
  let service: SessionService;

  beforeEach(() => {
    now = 1_000_000_000_000;
    store = new TakeoverStore();
    const auth = {
      refresh: (token: string, _ctx: ForwardContext, signal?: AbortSignal) => refresh(token, signal),
      revokeRefreshToken: async () => ({ status: 200, headers: {}, body: {} }),
    } as unknown as AuthClient;
    service = new SessionService(store, auth, { settings, now: () => now });
  });

  async function sessionNeedingRefresh(): Promise<ActiveSession> {
    const login = await service.open(
      { accessToken: jwt('user-1', now / 1000 + 60), expiresIn: 60, refreshToken: 'refresh-1', idToken: 'id-token', sub: 'user-1' },
      undefined,
      ctx,
    );
    now += 40_000; // 20 s left: inside GATEWAY_SESSION_REFRESH_BEFORE_S
    return service.authenticate(login.id);
  }

  it('gives the refresh one deadline (GATEWAY_UPSTREAM_TIMEOUT_MS), well inside the lock it holds', async () => {
    const session = await sessionNeedingRefresh();
    let aborted: number | undefined;
    const started = Date.now();
    refresh = (_token, signal) =>
      new Promise((_resolve, reject) => {
        signal!.addEventListener('abort', () => {
          aborted = Date.now() - started;
          reject(new AuthUnavailableError('aborted'));
        });
      });
    // The current access token is still valid: the request goes on with it.
    expect(await service.accessToken(session, ctx)).toBe(session.record.accessToken);
    expect(aborted).toBeGreaterThanOrEqual(150);
    expect(aborted).toBeLessThan(settings.upstreamTimeoutMs + 1000);
  });

  it('does not store refreshed tokens once the lock is lost, and re-reads the session instead', async () => {
    const session = await sessionNeedingRefresh();
    const lockKey = sessionLockKey(sessionHash(session.id));
    refresh = async () => {
      await store.takeOver(lockKey);
      return tokenAnswer(jwt('user-1', now / 1000 + 60), 'refresh-2');
    };
    await expect(service.accessToken(session, ctx)).rejects.toBeInstanceOf(AuthUnavailableError);
    // The session still holds what it held: the lock's new holder decides what is stored.
    expect((await service.authenticate(session.id)).record.refreshToken).toBe('refresh-1');
  });

  it('returns what the lock’s new holder stored, when that is a fresh token', async () => {
    const session = await sessionNeedingRefresh();
    const hash = sessionHash(session.id);
    const fresh = {
      ...session.record,
      accessToken: jwt('user-1', now / 1000 + 300),
      accessExpiresAt: now + 300_000,
      refreshToken: 'refresh-3',
    };
    refresh = async () => {
      // Meanwhile the lock expired, another replica took it, refreshed and stored its result.
      await store.takeOver(sessionLockKey(hash));
      await store.set(storeKey(hash), sealSession(session.id, fresh), 60_000);
      return tokenAnswer(jwt('user-1', now / 1000 + 60), 'refresh-2');
    };
    expect(await service.accessToken(session, ctx)).toBe(fresh.accessToken);
    expect((await service.authenticate(session.id)).record.refreshToken).toBe('refresh-3');
  });
});
