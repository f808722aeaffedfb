import { createPublicKey } from 'node:crypto';

/** How a client authenticates at the token endpoint (RFC 7591 §2 `token_endpoint_auth_method` values). */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'private_key_jwt' | 'none';

/** The algorithms a client assertion may be signed with (RFC 8725 §3.1: a fixed list, never the token's choice). */
export const CLIENT_ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256'] as const;
export type ClientAssertionAlgorithm = (typeof CLIENT_ASSERTION_ALGORITHMS)[number];

/** One registered public key, as stored: only the members below, whatever else was sent. */
export type ClientJwk =
  | { kty: 'RSA'; kid: string; n: string; e: string; alg?: 'RS256' | 'PS256'; use?: 'sig' }
  | { kty: 'EC'; kid: string; crv: 'P-256'; x: string; y: string; alg?: 'ES256'; use?: 'sig' };

/** A client's registered JWK Set (RFC 7517 §5). */
export interface ClientJwks {
  keys: ClientJwk[];
}

/** At most this many keys per client: two for a rotation, with room to spare; more is a mistake or an attack on the verifier. */
export const MAX_CLIENT_JWKS_KEYS = 5;
const MIN_RSA_BITS = 2048;
// Past this an RSA verification costs tens of ms: a registered 16k-bit key would be a CPU lever.
const MAX_RSA_BITS = 8192;
// Members of private or symmetric keys (RFC 7518 §6.2.2, §6.3.2, §6.4.1): a JWKS holding one leaked a secret.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const KID_PATTERN = /^[\x21-\x7e]{1,128}$/;
// RSA public exponent bounds (RFC 7518 §6.3.1 via NIST SP 800-56B §6.2.1: odd, 65537 ≤ e < 2^256).
// e = 1 makes a signature equal to its own PKCS#1 v1.5 encoding verify: anyone could forge the
// client's assertions. Small e (3) invites Bleichenbacher-style forgeries against lax verifiers.
const MIN_RSA_EXPONENT = 65537n;
const MAX_RSA_EXPONENT = 1n << 256n;

/**
 * Everything wrong with a JWKS a client registers (empty: none), one sentence each, for a 400
 * naming the field `jwks` or a start-up error naming AUTH_SEED_CLIENTS. Public keys only (no `d`,
 * no `oct`), RSA of 2048-8192 bits or EC P-256, a unique `kid` on every key, `use` `sig` and
 * `alg` one of ours when present, at most MAX_CLIENT_JWKS_KEYS keys. The key material itself is
 * checked by importing it (node:crypto), so a point off the curve or a malformed modulus is refused
 * here, not at the first token request.
 */
export function clientJwksProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['jwks must be a JWK Set: { "keys": [ … ] }'];
  const keys = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) return ['jwks.keys must be a non-empty array'];
  if (keys.length > MAX_CLIENT_JWKS_KEYS) return [`jwks must hold at most ${MAX_CLIENT_JWKS_KEYS} keys`];
  const problems: string[] = [];
  const kids = new Set<string>();
  keys.forEach((key: unknown, i) => {
    const at = `jwks.keys[${i}]`;
    if (typeof key !== 'object' || key === null || Array.isArray(key)) {
      problems.push(`${at} must be a JWK object`);
      return;
    }
    const jwk = key as Record<string, unknown>;
    const leaked = PRIVATE_MEMBERS.filter((m) => m in jwk);
    if (jwk.kty === 'oct' || leaked.length) {
      problems.push(
        `${at} must be a public key (it holds ${jwk.kty === 'oct' ? 'a symmetric key' : `private members: ${leaked.join(', ')}`})`,
      );
      return;
    }
    if (typeof jwk.kid !== 'string' || !KID_PATTERN.test(jwk.kid)) problems.push(`${at}.kid is required: 1-128 visible ASCII characters`);
    else if (kids.has(jwk.kid)) problems.push(`${at}.kid "${jwk.kid}" is not unique`);
    else kids.add(jwk.kid);
    if (jwk.use !== undefined && jwk.use !== 'sig') problems.push(`${at}.use must be "sig" when present`);
    if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.every((op) => op === 'verify')))
      problems.push(`${at}.key_ops must be ["verify"] when present`);
    if (jwk.kty === 'RSA') {
      if (jwk.alg !== undefined && jwk.alg !== 'RS256' && jwk.alg !== 'PS256')
        problems.push(`${at}.alg must be RS256 or PS256 for an RSA key`);
      const details = importedDetails(jwk, { kty: 'RSA', n: jwk.n, e: jwk.e });
      const bits = details?.modulusLength;
      const e = details?.publicExponent;
      if (bits === undefined || e === undefined) problems.push(`${at} is not a valid RSA public key (n, e)`);
      else if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)
        problems.push(`${at} must be an RSA key of ${MIN_RSA_BITS}-${MAX_RSA_BITS} bits (got ${bits})`);
      else if (e % 2n === 0n || e < MIN_RSA_EXPONENT || e >= MAX_RSA_EXPONENT)
        problems.push(`${at}.e must be an odd RSA exponent of at least 65537 and below 2^256`);
      // node:crypto imports an even modulus; it is no product of two odd primes (NIST SP 800-56B §6.4.2.2).
      else if (!modulusIsOdd(jwk.n as string)) problems.push(`${at}.n must be an odd RSA modulus`);
    } else if (jwk.kty === 'EC') {
      if (jwk.crv !== 'P-256') problems.push(`${at}.crv must be P-256`);
      else if (importedDetails(jwk, { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }) === undefined)
        problems.push(`${at} is not a valid P-256 public key (x, y)`);
      if (jwk.alg !== undefined && jwk.alg !== 'ES256') problems.push(`${at}.alg must be ES256 for a P-256 key`);
    } else problems.push(`${at}.kty must be RSA or EC`);
  });
  return problems;
}

/** The JWKS as stored: only the public members of each key (call after `clientJwksProblems` found none). */
export function normalizeClientJwks(value: unknown): ClientJwks {
  const keys = (value as { keys: Record<string, string>[] }).keys.map((k): ClientJwk => {
    const common = { kid: k.kid!, ...(k.use ? { use: 'sig' as const } : {}) };
    return k.kty === 'RSA'
      ? { kty: 'RSA', ...common, n: k.n!, e: k.e!, ...(k.alg ? { alg: k.alg as 'RS256' | 'PS256' } : {}) }
      : { kty: 'EC', ...common, crv: 'P-256', x: k.x!, y: k.y!, ...(k.alg ? { alg: 'ES256' as const } : {}) };
  });
  return { keys };
}

/** What node:crypto reports of a public JWK it accepts (size, RSA exponent), or undefined when it refuses it. */
function importedDetails(
  jwk: Record<string, unknown>,
  material: Record<string, unknown>,
): { modulusLength: number; publicExponent?: bigint } | undefined {
  if (Object.values(material).some((v) => typeof v !== 'string')) return undefined;
  try {
    const key = createPublicKey({ key: material as { kty: string }, format: 'jwk' });
    if (key.type !== 'public') return undefined;
    const details = key.asymmetricKeyDetails;
    const modulusLength = details?.modulusLength ?? (jwk.kty === 'EC' ? 256 : undefined);
    if (modulusLength === undefined) return undefined;
    return { modulusLength, ...(details?.publicExponent !== undefined ? { publicExponent: details.publicExponent } : {}) };
  } catch {
    return undefined;
  }
}

/** Whether a base64url modulus (big-endian, RFC 7518 §6.3.1.1) is odd: the low bit of its last byte. */
function modulusIsOdd(n: string): boolean {
  const bytes = Buffer.from(n, 'base64url');
  return bytes.length > 0 && (bytes[bytes.length - 1]! & 1) === 1;
}
