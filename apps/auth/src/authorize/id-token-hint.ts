import { compactVerify, decodeProtectedHeader } from 'jose';
import type { Keyring } from '../keys/keyring.service.js';

/** What RP-initiated logout learns from a verified `id_token_hint`. */
export interface IdTokenHint {
  sub: string;
  audiences: string[];
  /** The SSO session the ID token came from (sso_sessions.id). */
  sid: string | undefined;
}

/**
 * Verifies an `id_token_hint` (OIDC RP-Initiated Logout 1.0 §2): RS256 under a key of auth's
 * keyring, issued by this issuer, with an audience. Its expiry is NOT checked — the spec says an
 * expired ID token is a valid hint (an app logs out long after login) — but the signature, `iss`
 * and `aud` are, so a forged hint can't end someone's session. An access token (`typ: at+jwt`) is
 * not an ID token. Undefined for anything that fails.
 */
export async function verifyIdTokenHint(token: string, keyring: Keyring, issuer: string): Promise<IdTokenHint | undefined> {
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== 'RS256' || typeof header.kid !== 'string' || header.typ?.toLowerCase() === 'at+jwt') return undefined;
    const key = keyring.publicKey(header.kid);
    if (!key) return undefined;
    const { payload } = await compactVerify(token, key, { algorithms: ['RS256'] });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    if (claims.iss !== issuer || typeof claims.sub !== 'string' || aud.length === 0 || !aud.every((a) => typeof a === 'string'))
      return undefined;
    return { sub: claims.sub, audiences: aud as string[], sid: typeof claims.sid === 'string' ? claims.sid : undefined };
  } catch {
    return undefined;
  }
}
