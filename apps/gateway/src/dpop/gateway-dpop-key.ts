import { createHash, randomUUID } from 'node:crypto';
import { type CryptoKey, SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';

/** What one proof is for (RFC 9449 §4.2). */
export interface GatewayProofTarget {
  readonly htm: string;
  readonly htu: string;
  /** The access token the proof comes with (sets `ath`); absent at the token endpoint. */
  readonly accessToken?: string;
  /** The server's `DPoP-Nonce` (§8), when it asked for one. */
  readonly nonce?: string;
}

/**
 * The gateway's own DPoP key (docs/decisions/010-dpop-gateway-and-replay.md): made at start-up, one per
 * process, never written anywhere; its private half is a non-extractable WebCrypto key. Auth binds
 * the internal token of a DPoP request to it (`cnf.jkt` = `jkt`), and every forwarded request
 * carries a fresh proof by it for the upstream's URL: a token captured between the gateway and a
 * service is worthless without this key, which never leaves the gateway's memory.
 *
 * ES256: the cheapest of the algorithms every verifier accepts to sign (one per forwarded request).
 */
export class GatewayDpopKey {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
    /** RFC 7638 thumbprint of the public key: the `cnf.jkt` of the internal tokens. */
    readonly jkt: string,
  ) {}

  static async generate(): Promise<GatewayDpopKey> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: false });
    const jwk = await exportJWK(publicKey);
    const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
    return new GatewayDpopKey(privateKey, publicJwk, await calculateJwkThumbprint(publicJwk, 'sha256'));
  }

  /** A fresh proof (new `jti`, `iat` now) for one request. */
  async proof(target: GatewayProofTarget, nowMs = Date.now()): Promise<string> {
    return new SignJWT({
      jti: randomUUID(),
      htm: target.htm,
      htu: target.htu,
      iat: Math.floor(nowMs / 1000),
      ...(target.accessToken === undefined ? {} : { ath: createHash('sha256').update(target.accessToken, 'ascii').digest('base64url') }),
      ...(target.nonce === undefined ? {} : { nonce: target.nonce }),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: this.publicJwk })
      .sign(this.privateKey);
  }
}
