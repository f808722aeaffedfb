import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { JWK } from 'jose';
import type { KeyState } from '@authmesh/contracts';

/** pending → active → retiring → retired; revoked in an emergency: the admin API's `KeyState`. */
export type SigningKeyState = KeyState;

@Entity({ name: 'signing_keys' })
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'text' }) kid!: string;
  @Column({ type: 'text' }) state!: SigningKeyState;
  @Column({ type: 'text', default: 'RS256' }) alg!: string;
  @Column({ type: 'integer' }) bits!: number;
  @Column({ name: 'public_jwk', type: 'jsonb' }) publicJwk!: JWK;
  /** AES-256-GCM ciphertext of the PKCS#8 private key; null once destroyed (retired/revoked). */
  @Column({ name: 'private_key_enc', type: 'bytea', nullable: true }) privateKeyEnc!: Buffer | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'activates_at', type: 'timestamptz', nullable: true }) activatesAt!: Date | null;
  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true }) activatedAt!: Date | null;
  @Column({ name: 'retiring_at', type: 'timestamptz', nullable: true }) retiringAt!: Date | null;
  @Column({ name: 'retire_after', type: 'timestamptz', nullable: true }) retireAfter!: Date | null;
  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true }) retiredAt!: Date | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
}
