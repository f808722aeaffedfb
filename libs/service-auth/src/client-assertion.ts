import { type KeyObject, createPrivateKey, randomUUID } from 'node:crypto';
import { type JWK, SignJWT } from 'jose';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const CLIENT_ASSERTION_TYPE_JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The algorithms auth takes for client assertions (its discovery's `token_endpoint_auth_signing_alg_values_supported`). */
export type ClientAssertionAlgorithm = 'RS256' | 'PS256' | 'ES256';

/** A client's private signing key for `private_key_jwt` (its public half registered at auth under `kid`). */
export interface ClientSigningKey {
  /** The private key: a KeyObject, or a private JWK (with `d`). */
  readonly key: KeyObject | JWK;
  /** The `kid` it was registered under. */
  readonly kid: string;
  /** Default: RS256 for an RSA key, ES256 for a P-256 key. */
  readonly alg?: ClientAssertionAlgorithm;
}

/** How long an assertion lives: one request, with room for a slow network and small clock skew. */
export const CLIENT_ASSERTION_LIFETIME_SECONDS = 60;

/**
 * Signs client assertions (RFC 7523 §2.2 and §3): a fresh one per token request, `iss` = `sub` =
 * the client id, `aud` = auth's issuer identifier (as draft-ietf-oauth-rfc7523bis asks: one
 * string, never the token endpoint a discovery document could have pointed elsewhere), a random
 * `jti` (auth refuses any second use) and `exp` 60 s ahead.
 *
 * @example
 * const signer = new ClientAssertionSigner({ key: JSON.parse(process.env.ORDERS_CLIENT_KEY!), kid: 'orders-1' });
 * const assertion = await signer.sign('orders', 'https://auth.example');
 */
export class ClientAssertionSigner {
  private readonly key: KeyObject;
  readonly alg: ClientAssertionAlgorithm;
  readonly kid: string;

  constructor(
    signing: ClientSigningKey,
    private readonly now: () => number = Date.now,
  ) {
    this.key = isKeyObject(signing.key) ? signing.key : createPrivateKey({ key: signing.key as { kty: string }, format: 'jwk' });
    if (this.key.type !== 'private') throw new TypeError('the client signing key must be a private key');
    const type = this.key.asymmetricKeyType;
    const defaultAlg =
      type === 'rsa' ? 'RS256' : type === 'ec' && this.key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'ES256' : undefined;
    const alg = signing.alg ?? defaultAlg;
    if (alg === undefined || (alg === 'ES256') !== (defaultAlg === 'ES256'))
      throw new TypeError('the client signing key must be RSA (RS256, PS256) or EC P-256 (ES256)');
    this.alg = alg;
    this.kid = signing.kid;
  }

  /** A new assertion for one token request. */
  async sign(clientId: string, audience: string): Promise<string> {
    const nowS = Math.floor(this.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: this.alg, kid: this.kid, typ: 'JWT' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(audience)
      .setJti(randomUUID())
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + CLIENT_ASSERTION_LIFETIME_SECONDS)
      .sign(this.key);
  }
}

function isKeyObject(key: KeyObject | JWK): key is KeyObject {
  return typeof (key as KeyObject).export === 'function' && typeof (key as KeyObject).type === 'string';
}
