/**
 * How `npm start` lets auth see the real client of requests the gateway forwards. Not
 * TRUST_PROXY=127.0.0.1 for auth: that would believe X-Forwarded-For from any local process
 * (or from a sidecar relaying the internet), so anyone able to reach auth directly could claim any
 * address and get a fresh per-address budget with each request. Instead the gateway proves each
 * X-Forwarded-For it sends to auth with a secret the two share (AUTH_PROXY_SECRET =
 * GATEWAY_PROXY_SECRET; new each run unless one is given), and auth believes nothing else.
 */
export function forwardingEnv(name: string, secret: string): Record<string, string> {
  if (name === 'auth') return { AUTH_PROXY_SECRET: secret };
  if (name === 'gateway') return { GATEWAY_PROXY_SECRET: secret };
  return {};
}
