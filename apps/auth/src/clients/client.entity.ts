import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { ClientJwks, TokenEndpointAuthMethod } from '../oauth/client-jwks.js';

/** A registered OAuth client: a service (client credentials, token exchange) or an app that logs users in (authorization code). */
@Entity({ name: 'clients' })
export class ClientEntity {
  @PrimaryColumn({ name: 'client_id', type: 'text' }) clientId!: string;
  /** Null for a `private_key_jwt` client: it has no secret at all. */
  @Column({ name: 'secret_hash', type: 'text', nullable: true }) secretHash!: string | null;
  /** RFC 7591 §2 name: `client_secret_basic` (Basic or post), `private_key_jwt` (RFC 7523 §2.2) or `none` (a public client). */
  @Column({ name: 'token_endpoint_auth_method', type: 'text', default: 'client_secret_basic' })
  tokenEndpointAuthMethod!: TokenEndpointAuthMethod;
  /** The public keys a `private_key_jwt` client signs its assertions with (validated by `clientJwksProblems`). */
  @Column({ type: 'jsonb', nullable: true }) jwks!: ClientJwks | null;
  @Column({ type: 'text', array: true }) scopes!: string[];
  @Column({ type: 'text', array: true }) audiences!: string[];
  /** Grant types this client may use at /oauth/token (`client_credentials`, the RFC 8693 token-exchange URN). */
  @Column({ name: 'grant_types', type: 'text', array: true, default: () => "'{client_credentials}'" }) grantTypes!: string[];
  /** Exact redirect URIs of the authorization code flow (compared as strings: RFC 9700 §4.1.3, no patterns). */
  @Column({ name: 'redirect_uris', type: 'text', array: true, default: () => "'{}'" }) redirectUris!: string[];
  /** Where RP-initiated logout may send the browser back to (OpenID Connect RP-Initiated Logout §3). */
  @Column({ name: 'post_logout_redirect_uris', type: 'text', array: true, default: () => "'{}'" }) postLogoutRedirectUris!: string[];
  /** First-party clients (the suite's own apps) skip the consent page; third-party clients show it. */
  @Column({ name: 'first_party', type: 'boolean', default: false }) firstParty!: boolean;
  /** RFC 9449 §5.2 `dpop_bound_access_tokens`: the token endpoint refuses this client's requests without a DPoP proof. */
  @Column({ name: 'dpop_bound_access_tokens', type: 'boolean', default: false }) dpopBoundAccessTokens!: boolean;
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
