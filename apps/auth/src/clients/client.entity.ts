import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { ClientJwks, TokenEndpointAuthMethod } from '../oauth/client-jwks.js';

/** A service that obtains tokens with client credentials. */
@Entity({ name: 'clients' })
export class ClientEntity {
  @PrimaryColumn({ name: 'client_id', type: 'text' }) clientId!: string;
  /** Null for a `private_key_jwt` client: it has no secret at all. */
  @Column({ name: 'secret_hash', type: 'text', nullable: true }) secretHash!: string | null;
  /** RFC 7591 §2 name: `client_secret_basic` (Basic or post) or `private_key_jwt` (RFC 7523 §2.2). */
  @Column({ name: 'token_endpoint_auth_method', type: 'text', default: 'client_secret_basic' })
  tokenEndpointAuthMethod!: TokenEndpointAuthMethod;
  /** The public keys a `private_key_jwt` client signs its assertions with (validated by `clientJwksProblems`). */
  @Column({ type: 'jsonb', nullable: true }) jwks!: ClientJwks | null;
  @Column({ type: 'text', array: true }) scopes!: string[];
  @Column({ type: 'text', array: true }) audiences!: string[];
  /** Grant types this client may use at /oauth/token (`client_credentials`, the RFC 8693 token-exchange URN). */
  @Column({ name: 'grant_types', type: 'text', array: true, default: () => "'{client_credentials}'" }) grantTypes!: string[];
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
