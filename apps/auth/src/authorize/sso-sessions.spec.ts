import type { DataSource } from 'typeorm';
import type { AuthConfig } from '../config/auth.config.js';
import type { SessionRevoker } from '../revocation/session-revoker.service.js';
import type { SsoSessionEntity } from './sso-session.entity.js';
import { SsoSessions } from './sso-sessions.service.js';

describe('SSO session timeouts', () => {
  const config = { auth: { ssoIdleSeconds: 1800, ssoAbsoluteSeconds: 36000 } } as AuthConfig;
  const sessions = new SsoSessions({} as DataSource, {} as SessionRevoker, config);
  const login = new Date('2026-01-01T00:00:00Z');
  const at = (seconds: number): Date => new Date(login.getTime() + seconds * 1000);
  const session = (lastSeenSeconds: number, endedAt: Date | null = null): SsoSessionEntity =>
    ({ lastSeenAt: at(lastSeenSeconds), absoluteExpiresAt: at(36000), endedAt }) as SsoSessionEntity;

  it('is live while used within the idle timeout, up to the absolute one', () => {
    expect(sessions.isLive(session(0), at(1799))).toBe(true);
    expect(sessions.isLive(session(35000), at(35999))).toBe(true);
  });
  it('dies idle, past the absolute timeout however used, or ended', () => {
    expect(sessions.isLive(session(0), at(1800))).toBe(false);
    expect(sessions.isLive(session(35999), at(36000))).toBe(false);
    expect(sessions.isLive(session(0, at(10)), at(20))).toBe(false);
  });
});
