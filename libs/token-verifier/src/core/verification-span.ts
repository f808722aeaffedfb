import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { VerifiedToken } from './claims.js';
import { TokenVerificationError } from './errors.js';
import type { TokenVerifier } from './token-verifier.js';

const tracer = trace.getTracer('@authmesh/token-verifier');

/**
 * `verifier.verify(token)` — or `verify()`, the caller's own call into `verifier` (a DPoP request's
 * `verifyPresented`) — inside a `token.verify` span: whether the verified-token cache answered
 * (no RSA work), the `kid`, and the outcome (`ok` or the error code, e.g. `token_expired`), so a
 * trace says why a request was refused and whether verification was what made it slow.
 * Never the token, nor any claim beyond the key id: a span is exported to a collector whose
 * readers are not the token's audience. With tracing off, the tracer is the API's no-op one.
 *
 * @example
 * const { principal } = await verifyInSpan(verifier, bearerTokenFromRequest(request));
 */
export function verifyInSpan(
  verifier: TokenVerifier,
  token: string | undefined | (() => Promise<VerifiedToken>),
  audience?: string,
): Promise<VerifiedToken> {
  return tracer.startActiveSpan('token.verify', async (span) => {
    const hitsBefore = verifier.stats.cacheHits;
    try {
      const pending = typeof token === 'function' ? token() : verifier.verify(token);
      // The cache lookup runs before verify's first await: the counter already says hit or miss.
      span.setAttribute('authmesh.verify.cache', verifier.stats.cacheHits > hitsBefore ? 'hit' : 'miss');
      if (audience !== undefined) span.setAttribute('authmesh.verify.audience', audience);
      const verified = await pending;
      span.setAttributes({ 'authmesh.verify.kid': verified.kid, 'authmesh.verify.outcome': 'ok' });
      return verified;
    } catch (e) {
      const outcome = e instanceof TokenVerificationError ? e.code : ((e as { code?: unknown }).code ?? 'error');
      span.setAttribute('authmesh.verify.outcome', String(outcome));
      // A refused token is the verifier doing its job; only a failure to verify at all is an error.
      if (!(e instanceof TokenVerificationError)) span.setStatus({ code: SpanStatusCode.ERROR });
      throw e;
    } finally {
      span.end();
    }
  });
}
