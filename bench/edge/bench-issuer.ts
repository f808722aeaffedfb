/**
 * A token issuer the bench owns: an RSA-2048 key generated at start (never written anywhere), its
 * JWKS on a loopback socket (`Cache-Control: max-age=300`, as auth serves it), and RS256 access
 * tokens in the shape auth issues (RFC 9068: `typ: at+jwt`, iss, sub, aud, exp, iat, jti,
 * client_id, scope). Used where the bench needs many tokens fast without auth's token endpoint
 * (edge: 1,000 tokens; memory: 100,000), so the figure is the verifier's, not auth's.
 */
import { type KeyObject, createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the bench's tokens say about the caller; `auth-off` assumes the same principal. */
export const BENCH_SUBJECT = { sub: 'bench-user', clientId: 'authmesh', scopes: ['orders:read', 'orders:write'] } as const;

export class BenchIssuer {
  private constructor(
    private readonly server: Server,
    private readonly privateKey: KeyObject,
    readonly kid: string,
    /** `http://127.0.0.1:<port>`: the issuer and the base of the JWKS URI. */
    readonly url: string,
  ) {}

  get jwksUri(): string {
    return `${this.url}/.well-known/jwks.json`;
  }

  static async start(): Promise<BenchIssuer> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { kty, n, e } = publicKey.export({ format: 'jwk' });
    // RFC 7638 thumbprint as the kid, as auth does.
    const kid = createHash('sha256').update(JSON.stringify({ e, kty, n })).digest('base64url');
    const body = JSON.stringify({ keys: [{ kty, n, e, kid, alg: 'RS256', use: 'sig' }] });
    const server = createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=300' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    return new BenchIssuer(server, privateKey, kid, `http://127.0.0.1:${port}`);
  }

  /** The header and claims segments of a fresh token for `audience`, valid for `lifetimeSeconds`. */
  private signingInput(audience: string, lifetimeSeconds: number, extra: Record<string, unknown> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'at+jwt', kid: this.kid };
    const claims = {
      iss: this.url,
      sub: BENCH_SUBJECT.sub,
      aud: audience,
      exp: now + lifetimeSeconds,
      iat: now,
      jti: randomUUID(),
      client_id: BENCH_SUBJECT.clientId,
      scope: BENCH_SUBJECT.scopes.join(' '),
      ...extra,
    };
    const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    return `${b64(header)}.${b64(claims)}`;
  }

  /** One token, signed on this thread; `extra` claims are added (`cnf` for a DPoP-bound token). */
  token(audience: string, lifetimeSeconds = 3600, extra: Record<string, unknown> = {}): string {
    const input = this.signingInput(audience, lifetimeSeconds, extra);
    return `${input}.${sign('sha256', Buffer.from(input), this.privateKey).toString('base64url')}`;
  }

  /** One token, signed on libuv's pool (so many signatures use every core). */
  tokenAsync(audience: string, lifetimeSeconds: number): Promise<string> {
    const input = this.signingInput(audience, lifetimeSeconds);
    return new Promise((resolve, reject) =>
      sign('sha256', Buffer.from(input), this.privateKey, (err, signature) =>
        err ? reject(err) : resolve(`${input}.${signature.toString('base64url')}`),
      ),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
