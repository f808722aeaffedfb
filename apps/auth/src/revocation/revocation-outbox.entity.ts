import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { RevocationEvent } from '@authmesh/revocation';

/**
 * Revocations waiting to reach Redis. Written in the same transaction as the change that caused
 * them (a refresh family revoked, a logout), so a revocation accepted while Redis is down is not
 * lost: it is replayed when Redis is back.
 */
@Entity({ name: 'revocation_outbox' })
export class RevocationOutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ type: 'jsonb' }) event!: RevocationEvent;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
}
