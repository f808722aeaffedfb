import { FORWARDED_FOR_PROOF_HEADER, forwardedForProof } from '@authmesh/platform';

/**
 * The header proving to auth that the gateway wrote this request's X-Forwarded-For
 * (GATEWAY_PROXY_SECRET = auth's AUTH_PROXY_SECRET); none without a secret. Only requests to
 * auth carry it: a proof seen by another upstream could be replayed there to claim that client.
 * Auth's per-address guessing budgets then see the real client, not the gateway's address,
 * without auth trusting every process that can connect from the gateway's address.
 */
export function forwardedForProofHeaders(secret: string | undefined, forwardedFor: string): Record<string, string> {
  return secret ? { [FORWARDED_FOR_PROOF_HEADER]: forwardedForProof(secret, forwardedFor) } : {};
}
