/**
 * The `issue` bench's peer: node-oidc-provider (v9), in a process of its own on loopback, configured
 * as its documentation recommends for machine-to-machine tokens: the `clientCredentials` feature,
 * and the `resourceIndicators` feature (RFC 8707) whose resource server gets `accessTokenFormat:
 * 'jwt'` signed RS256 with a 2048-bit key — the same token kind and key size auth issues. The
 * client authenticates with `client_secret_basic` (a plain constant-time comparison in
 * oidc-provider). Tokens are JWTs, so its default in-memory adapter stores nothing per token.
 *
 * Run as `node dist/bench/support/oidc-peer.js` with BENCH_OIDC_PEER={port, clientId, secret};
 * it prints `ready` once listening.
 */
import { generateKeyPairSync } from 'node:crypto';

export interface OidcPeerOptions {
  readonly port: number;
  readonly clientId: string;
  readonly secret: string;
}

/** The resource indicator (RFC 8707 §2: an absolute URI) the peer's tokens are for. */
export const OIDC_PEER_RESOURCE = 'urn:authmesh:bench:profiles';
export const OIDC_PEER_SCOPE = 'profiles:read';

async function serve(options: OidcPeerOptions): Promise<void> {
  const { default: Provider } = await import('oidc-provider');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const issuer = `http://127.0.0.1:${options.port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: OIDC_PEER_SCOPE,
      },
    ],
    // Scopes the provider knows besides OpenID's own; the client and the resource server use it.
    scopes: [OIDC_PEER_SCOPE],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' }] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => OIDC_PEER_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== OIDC_PEER_RESOURCE) throw new Error(`unknown resource ${resource}`);
          return {
            scope: OIDC_PEER_SCOPE,
            audience: 'profiles',
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  });
  await new Promise<void>((resolve) => provider.listen(options.port, '127.0.0.1', resolve));
  process.stdout.write('ready\n');
}

const raw = process.env.BENCH_OIDC_PEER;
if (raw) {
  serve(JSON.parse(raw) as OidcPeerOptions).catch((e: unknown) => {
    process.stderr.write(`oidc peer failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
