import { FORWARDED_FOR_PROOF_HEADER } from '@authmesh/platform';
import type { FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';

/** What the gateway tells an upstream about the original request (RFC 7239's de-facto X- forms). */
export interface ForwardContext {
  readonly requestId: string;
  /** The one client address the gateway decided on (X-Forwarded-For). */
  readonly forwardedFor: string;
  readonly forwardedProto: string;
  readonly forwardedHost: string;
}

/**
 * The forwarding context of a request. X-Forwarded-For is exactly one address: `request.ip`, the
 * client as the gateway's own TRUST_PROXY resolved it. Not the chain `<client>, <our peer>`: an
 * upstream trusting only the gateway takes the right-most untrusted entry, which would then be the
 * load balancer in front of us, and every user would share one per-address budget there. The
 * gateway has already decided who the client is; upstreams inherit that decision instead of
 * redoing it with a different TRUST_PROXY.
 *
 * X-Forwarded-Host and -Proto are the gateway's own public origin (GATEWAY_PUBLIC_ORIGIN), never
 * the client's `Host`: an upstream that builds absolute URLs from them (links, redirects, an
 * issuer or audience check) would otherwise take them from the attacker (Host header injection,
 * e.g. password-reset poisoning). The request's Host only chose this gateway; it says nothing the
 * upstream should believe.
 */
export function forwardContextOf(request: FastifyRequest, publicOrigin: string): ForwardContext {
  const origin = publicOriginParts(publicOrigin);
  return {
    requestId: request.id,
    forwardedFor: request.ip,
    forwardedProto: origin.proto,
    forwardedHost: origin.host,
  };
}

const parsedOrigins = new Map<string, { proto: string; host: string }>();

/** `{ proto: 'https', host: 'shop.example' }` of an origin (parsed once per distinct origin). */
function publicOriginParts(origin: string): { proto: string; host: string } {
  let parts = parsedOrigins.get(origin);
  if (!parts) {
    const url = new URL(origin);
    parts = { proto: url.protocol.replace(/:$/, ''), host: url.host };
    parsedOrigins.set(origin, parts);
  }
  return parts;
}

/** The X-Forwarded-* and X-Request-Id headers of a forwarding context. */
export function forwardingHeaders(ctx: ForwardContext): Record<string, string> {
  return {
    'x-request-id': ctx.requestId,
    'x-forwarded-for': ctx.forwardedFor,
    'x-forwarded-proto': ctx.forwardedProto,
    'x-forwarded-host': ctx.forwardedHost,
  };
}

// RFC 9110 §7.6.1: "Connection, Proxy-Connection, Keep-Alive, TE, Transfer-Encoding, and Upgrade"
// plus the fields the Connection header names are hop-by-hop; Trailer (RFC 9110 §6.6.2) and
// Proxy-Authorization/Proxy-Authenticate (§11.7) concern only the hop they arrive on.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Removes the hop-by-hop fields (and every field Connection names) from a header object, in place. */
export function stripHopByHop<H extends Record<string, unknown>>(headers: H, connection?: unknown): H {
  const named = typeof connection === 'string' ? connection : typeof headers.connection === 'string' ? headers.connection : '';
  for (const name of named.split(',')) {
    const n = name.trim().toLowerCase();
    if (n) delete headers[n];
  }
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower.startsWith('proxy-')) delete headers[name];
  }
  return headers;
}

/** Removes the named cookies from a Cookie header value; undefined when none is left. */
export function withoutCookies(cookieHeader: string | undefined, names: readonly string[]): string | undefined {
  if (cookieHeader === undefined) return undefined;
  const kept = cookieHeader
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c !== '' && !names.includes(cookieName(c)));
  return kept.length > 0 ? kept.join('; ') : undefined;
}

function cookieName(pair: string): string {
  const eq = pair.indexOf('=');
  return (eq === -1 ? pair : pair.slice(0, eq)).trim();
}

/**
 * Client-sent claims about the client or the original request that an upstream (or a framework
 * behind it) might believe: only the gateway's own X-Forwarded-{For,Proto,Host} may reach it.
 * `X-Forwarded-Prefix` and `-Port` rewrite generated URLs (Spring, ASP.NET), `X-Real-IP` and its
 * cousins are read as the client address by nginx-style setups. The forwarded-for proof is the
 * gateway's own claim to auth that it wrote X-Forwarded-For: a client's copy (one captured from
 * auth's logs, say, or from an upstream that saw it) must never reach anyone, and the gateway adds
 * its own for auth only, after this strip.
 */
const CLIENT_CLAIM_HEADERS = new Set([
  'forwarded',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  FORWARDED_FOR_PROOF_HEADER,
]);

/** True for a header only the gateway may set upstream (any X-Forwarded-*, Forwarded, X-Real-IP…). */
export function isClientClaimHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('x-forwarded-') || CLIENT_CLAIM_HEADERS.has(lower);
}

/**
 * The request headers an upstream receives: the client's, minus hop-by-hop fields, the gateway's
 * session cookie (never forwarded: it is the key to the user's tokens) and any client-sent
 * Forwarded, X-Forwarded-* or X-Real-IP (`isClientClaimHeader`), plus the gateway's own
 * X-Forwarded-*, X-Request-Id and (BFF, token exchange) the Authorization it chose. Where the
 * gateway chose the Authorization, the client's `DPoP` header is dropped (its proof names the
 * gateway's URL and was spent at the edge) and the gateway's own proof, if any, takes its place.
 */
export function upstreamRequestHeaders(
  original: IncomingHttpHeaders,
  headers: IncomingHttpHeaders,
  ctx: ForwardContext,
  options: { sessionCookieNames: readonly string[]; authorization?: string; dpop?: string },
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers };
  stripHopByHop(out, original.connection);
  for (const name of Object.keys(out)) if (isClientClaimHeader(name)) delete out[name];
  const cookie = withoutCookies(typeof out.cookie === 'string' ? out.cookie : undefined, options.sessionCookieNames);
  if (cookie === undefined) delete out.cookie;
  else out.cookie = cookie;
  if (options.authorization !== undefined) {
    out.authorization = options.authorization;
    delete out.dpop;
    if (options.dpop !== undefined) out.dpop = options.dpop;
  }
  return { ...out, ...forwardingHeaders(ctx) };
}
