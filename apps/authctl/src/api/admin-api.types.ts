/** The shapes of auth's admin API (scope auth:admin), as authctl reads them. */

export type KeyState = 'pending' | 'active' | 'retiring' | 'retired' | 'revoked';

/** A signing key as `GET /admin/keys` shows it; timestamps are ISO strings or null. */
export interface KeyView {
  kid: string;
  state: KeyState;
  alg: string;
  bits: number;
  createdAt: string;
  activatesAt: string | null;
  activatedAt: string | null;
  retiringAt: string | null;
  retireAfter: string | null;
  retiredAt: string | null;
  revokedAt: string | null;
}

export interface KeyList {
  keys: KeyView[];
}

export interface RotateResult {
  key: KeyView;
  previous: KeyView | null;
}

export interface RevokeKeyResult {
  revoked: KeyView;
  active: KeyView;
}

/** One audited key transition (who, when, why). */
export interface KeyEvent {
  id: string | number;
  kid: string;
  fromState: KeyState | null;
  toState: KeyState;
  actor: string | null;
  reason: string | null;
  at: string;
}

export interface KeyEventList {
  events: KeyEvent[];
}

export interface ClientView {
  clientId: string;
  scopes: string[];
  audiences: string[];
  grantTypes: string[];
  enabled: boolean;
  createdAt: string;
}

export interface CreatedClient extends ClientView {
  clientSecret: string;
}

export interface ClientList {
  clients: ClientView[];
}

export interface NewClient {
  clientId: string;
  scopes: string[];
  audiences: string[];
  grantTypes?: string[];
}

export interface DisabledClient {
  clientId: string;
  enabled: false;
}

/** `POST /admin/revocations`: one token until its `exp`, or every token of a subject issued until now. */
export type Revocation = { jti: string; exp: number } | { sub: string };

export interface RevocationResult {
  revoked: 'jti' | 'sub';
}
