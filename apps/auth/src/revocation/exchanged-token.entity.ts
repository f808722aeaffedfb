import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A token issued by the RFC 8693 token-exchange grant, linked to the token it was exchanged from.
 * Nothing in the exchanged token itself names its subject token (a new `jti`, `client_id` = the
 * exchanging client), so without this row a revocation of the subject token's jti, or of the
 * exchanging client, would not reach it. Rows are deleted an hour after `expires_at`.
 */
@Entity({ name: 'exchanged_tokens' })
export class ExchangedTokenEntity {
  @PrimaryColumn({ type: 'text' }) jti!: string;
  /** The `jti` of the subject token (itself possibly an exchanged token). */
  @Column({ name: 'subject_jti', type: 'text' }) subjectJti!: string;
  /** The client that performed the exchange (the token's `client_id`). */
  @Column({ name: 'client_id', type: 'text' }) clientId!: string;
  /** The exchanged token's `exp`. */
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
}
