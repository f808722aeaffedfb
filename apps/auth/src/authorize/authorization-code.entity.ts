import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An authorization code (RFC 6749 §4.1.2), stored only as the SHA-256 of its value. */
@Entity({ name: 'authorization_codes' })
export class AuthorizationCodeEntity {
  @PrimaryColumn({ name: 'code_hash', type: 'bytea' }) codeHash!: Buffer;
  @Column({ name: 'client_id', type: 'text' }) clientId!: string;
  /** The redirect URI of the authorization request; the token request must repeat it exactly (§4.1.3). */
  @Column({ name: 'redirect_uri', type: 'text' }) redirectUri!: string;
  /** BASE64URL(SHA256(code_verifier)) (RFC 7636 §4.2, S256 only). */
  @Column({ name: 'code_challenge', type: 'text' }) codeChallenge!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @Column({ type: 'text' }) scope!: string;
  @Column({ type: 'text', array: true }) audiences!: string[];
  /** OpenID Connect Core §3.1.2.1: echoed in the ID token. */
  @Column({ type: 'text', nullable: true }) nonce!: string | null;
  /** RFC 9449 §10 `dpop_jkt`: only a token request with a DPoP proof of this key redeems the code. */
  @Column({ name: 'dpop_jkt', type: 'text', nullable: true }) dpopJkt!: string | null;
  @Column({ name: 'auth_time', type: 'timestamptz' }) authTime!: Date;
  @Column({ name: 'sso_session_id', type: 'uuid', nullable: true }) ssoSessionId!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true }) usedAt!: Date | null;
  /** The refresh family the redemption started: a second redemption revokes it. */
  @Column({ name: 'family_id', type: 'uuid', nullable: true }) familyId!: string | null;
}
