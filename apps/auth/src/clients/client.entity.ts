import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A service that obtains tokens with client credentials. */
@Entity({ name: 'clients' })
export class ClientEntity {
  @PrimaryColumn({ name: 'client_id', type: 'text' }) clientId!: string;
  @Column({ name: 'secret_hash', type: 'text' }) secretHash!: string;
  @Column({ type: 'text', array: true }) scopes!: string[];
  @Column({ type: 'text', array: true }) audiences!: string[];
  /** Grant types this client may use at /oauth/token (`client_credentials`, the RFC 8693 token-exchange URN). */
  @Column({ name: 'grant_types', type: 'text', array: true, default: () => "'{client_credentials}'" }) grantTypes!: string[];
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
