import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Who a key acts for: a user (its id) or an OAuth client (its client id). */
export type ApiKeyOwnerType = 'user' | 'client';

/** One API key. The key itself is never stored: `secret_hash` is its HMAC (ApiKeyHasher), unique and indexed. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  /** The first characters of the key (`amk_live_Ab12`): for lists and for grepping a leak, not a secret. */
  @Column({ name: 'display_prefix', type: 'text' }) displayPrefix!: string;
  @Column({ name: 'secret_hash', type: 'bytea', unique: true, select: false }) secretHash!: Buffer;
  @Column({ name: 'owner_type', type: 'text' }) ownerType!: ApiKeyOwnerType;
  @Column({ name: 'owner_id', type: 'text' }) ownerId!: string;
  @Column({ type: 'text', array: true }) scopes!: string[];
  @Column({ type: 'text', array: true }) audiences!: string[];
  /** Source addresses (CIDR) the key may be used from; empty: any. */
  @Column({ name: 'allowed_cidrs', type: 'text', array: true, default: () => "'{}'" }) allowedCidrs!: string[];
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true }) lastUsedAt!: Date | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  /** The key this one was rotated into (its expiry then is the end of the grace period). */
  @Column({ name: 'replaced_by', type: 'uuid', nullable: true }) replacedBy!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
