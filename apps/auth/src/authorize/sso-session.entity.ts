import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A browser's single sign-on session at auth; the cookie holds a random secret, stored here as its SHA-256. */
@Entity({ name: 'sso_sessions' })
export class SsoSessionEntity {
  /** Also the `sid` claim of ID tokens (OpenID Connect Front-Channel Logout §3 names it so). */
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'secret_hash', type: 'bytea', unique: true }) secretHash!: Buffer;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  /** When the password was checked (the ID token's `auth_time`). */
  @Column({ name: 'auth_time', type: 'timestamptz' }) authTime!: Date;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** Idle timeout: AUTH_SSO_IDLE_S after this. */
  @Column({ name: 'last_seen_at', type: 'timestamptz' }) lastSeenAt!: Date;
  /** Absolute timeout: AUTH_SSO_MAX_S after login. */
  @Column({ name: 'absolute_expires_at', type: 'timestamptz' }) absoluteExpiresAt!: Date;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
  @Column({ name: 'ended_reason', type: 'text', nullable: true }) endedReason!: string | null;
}
