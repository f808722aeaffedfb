import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import { FORWARDED_FOR_PROOF_HEADER, isForwardedForProofValid } from '@authmesh/platform';

/**
 * The client address of a request forwarded by a proxy that proves it wrote X-Forwarded-For
 * (AUTH_PROXY_SECRET, `forwardedForProof`), or undefined when the request carries no valid proof.
 * Exactly one address is accepted: the gateway forwards the one client it decided on, never a chain.
 */
export function provenClientAddress(request: FastifyRequest, secret: string): string | undefined {
  const proof = request.headers[FORWARDED_FOR_PROOF_HEADER];
  const forwarded = request.headers['x-forwarded-for'];
  if (typeof proof !== 'string' || typeof forwarded !== 'string') return undefined;
  const address = forwarded.trim();
  return isIP(address) !== 0 && isForwardedForProofValid(secret, address, proof) ? address : undefined;
}

/**
 * Makes `request.ip` (the key of every per-address budget, and what `@Ip()` reads) the proven
 * client address when a request carries a valid proof; otherwise it stays what TRUST_PROXY
 * decided (by default the TCP peer). A forged or stale proof changes nothing: the sender is then
 * counted as itself, so sending `X-Forwarded-For: <random>` never buys a fresh budget.
 */
export function trustProvenForwardedFor(fastify: FastifyInstance, secret: string): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const address = provenClientAddress(request, secret);
    // Fastify's `ip` is a prototype getter; an own property on this request shadows it.
    if (address !== undefined) Object.defineProperty(request, 'ip', { value: address, enumerable: true, configurable: true });
    done();
  });
}
