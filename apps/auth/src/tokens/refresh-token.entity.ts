import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One login's chain of refresh tokens; reuse of any used member revokes the whole family. */
@Entity({ name: 'refresh_families' })
export class RefreshFamilyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @Column({ name: 'client_id', type: 'text' }) clientId!: string;
  @Column({ type: 'text' }) scope!: string;
  @Column({ type: 'text', array: true }) audiences!: string[];
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'absolute_expires_at', type: 'timestamptz' }) absoluteExpiresAt!: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @Column({ name: 'revoked_reason', type: 'text', nullable: true }) revokedReason!: string | null;
  /** The SSO session (hosted login) this family came from; ending that session revokes the family. Null for `/auth/login`. */
  @Column({ name: 'sso_session_id', type: 'uuid', nullable: true }) ssoSessionId!: string | null;
  /** RFC 9449 §5: a public client's family bound to its DPoP key; a refresh must prove that key. Null: not bound. */
  @Column({ name: 'dpop_jkt', type: 'text', nullable: true }) dpopJkt!: string | null;
}

/** A refresh token, stored only as the SHA-256 of its value. */
@Entity({ name: 'refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'family_id', type: 'uuid' }) familyId!: string;
  @Column({ name: 'token_hash', type: 'bytea', unique: true }) tokenHash!: Buffer;
  @Column({ name: 'issued_at', type: 'timestamptz' }) issuedAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true }) usedAt!: Date | null;
  /** The access token issued with this refresh token, so revoking the family can blocklist it. */
  @Column({ name: 'access_jti', type: 'text' }) accessJti!: string;
  @Column({ name: 'access_expires_at', type: 'timestamptz' }) accessExpiresAt!: Date;
}
