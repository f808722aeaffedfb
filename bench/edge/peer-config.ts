import type { PeerConfig } from './passport-jwt-peer.module.js';

/** PEER_ISSUER, PEER_AUDIENCE, PEER_JWKS_URI: what the bench tells a peer process (bench only, not an app's configuration). */
export function peerConfigFromEnv(env: NodeJS.ProcessEnv): PeerConfig & { port: number } {
  const read = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  return { issuer: read('PEER_ISSUER'), audience: read('PEER_AUDIENCE'), jwksUri: read('PEER_JWKS_URI'), port: Number(env.PORT ?? 0) };
}
