import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { RevocationEvent } from '@authmesh/revocation';

/**
 * The revocation ledger (and outbox). Written in the same transaction as the change that caused
 * the revocation (a refresh family revoked, a logout), delivered to Redis right after commit and
 * replayed while Redis is down; a delivered row stays until `expiresAt`, so a Redis that lost its
 * data is re-seeded from here (RevocationReseeder). Announcements (`keyset`) have no `expiresAt`
 * and are deleted once delivered.
 */
@Entity({ name: 'revocation_outbox' })
export class RevocationOutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ type: 'jsonb' }) event!: RevocationEvent;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  /** When the store accepted it; NULL while pending. */
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt!: Date | null;
  /** When its blocklist entry would expire (exp/revokedAt + lifetime + tolerance); NULL: an announcement. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  /** The id Redis gave its event in the revocation stream when delivered (NULL: pending, or the memory store). */
  @Column({ name: 'stream_id', type: 'text', nullable: true }) streamId!: string | null;
}
