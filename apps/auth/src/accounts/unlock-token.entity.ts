import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A single-use unlock token (256 random bits) for one (account, client address), stored only as its SHA-256. */
@Entity({ name: 'unlock_tokens' })
export class UnlockTokenEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'bytea' }) tokenHash!: Buffer;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  /** The client address the right password came from (as auth saw it: `request.ip`). */
  @Column({ name: 'address', type: 'text' }) address!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true }) usedAt!: Date | null;
}
