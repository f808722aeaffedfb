import { GRANT_CLIENT_CREDENTIALS } from '@authmesh/contracts';
import { type Dispatcher, request } from 'undici';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from './client-assertion.js';
import { type DpopKey, asksForDpopNonce } from './dpop-key.js';
import { TokenFetchError } from './errors.js';

/** What a token source asks the token endpoint for (RFC 6749 §4.4, RFC 8707 `audience`). */
export interface TokenRequest {
  readonly tokenUrl: string;
  readonly clientId: string;
  /** client_secret_basic. Exactly one of `clientSecret` and `clientAssertion`. */
  readonly clientSecret?: string;
  /** private_key_jwt (RFC 7523 §2.2): an assertion signed for this one request. */
  readonly clientAssertion?: string;
  readonly audience: string;
  /** Space-separated; default: every scope the client has. */
  readonly scope?: string;
  /** RFC 9449: a proof of this key goes with the request, and the token comes back bound to it. */
  readonly dpop?: DpopKey;
}

/** A token as the token endpoint issued it. */
export interface FetchedToken {
  readonly accessToken: string;
  /** `expires_in` (RFC 6749 §5.1), in seconds. */
  readonly expiresInSeconds: number;
  /** `DPoP` for a token bound to the request's key (RFC 9449 §5), `Bearer` otherwise. */
  readonly tokenType: 'Bearer' | 'DPoP';
}

/** One call to the token endpoint; injected so the token source can be tested without I/O. */
export type TokenFetcher = (req: TokenRequest) => Promise<FetchedToken>;

export interface HttpTokenFetcherOptions {
  /** Per-attempt timeout (default 5000 ms). */
  readonly timeoutMs?: number;
  /** undici dispatcher (default: the global one). */
  readonly dispatcher?: Dispatcher;
}

/**
 * The real fetcher: `POST tokenUrl` with `grant_type=client_credentials`, the client
 * authenticated by HTTP Basic (RFC 6749 §2.3.1: servers MUST support it; the secret never goes in
 * a URL) or by a client assertion in the body (RFC 7523 §2.2). 5xx, network errors and timeouts
 * are retryable; 4xx (bad secret or assertion, bad audience) is not. With `dpop`, each request
 * carries a fresh proof, and a `use_dpop_nonce` answer is retried once with the server's nonce.
 */
export function httpTokenFetcher(options: HttpTokenFetcherOptions = {}): TokenFetcher {
  const timeoutMs = options.timeoutMs ?? 5000;
  return async (req) => {
    const form = new URLSearchParams({ grant_type: GRANT_CLIENT_CREDENTIALS, audience: req.audience });
    if (req.scope) form.set('scope', req.scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (req.clientAssertion !== undefined) {
      form.set('client_assertion_type', CLIENT_ASSERTION_TYPE_JWT_BEARER);
      form.set('client_assertion', req.clientAssertion);
    } else {
      // RFC 6749 §2.3.1: id and secret are form-urlencoded before the Basic encoding.
      const basic = Buffer.from(`${encodeURIComponent(req.clientId)}:${encodeURIComponent(req.clientSecret ?? '')}`).toString('base64');
      headers.authorization = `Basic ${basic}`;
    }
    const send = async (): Promise<{ res: Dispatcher.ResponseData; text: string; error: string }> => {
      // A fresh proof per attempt (its jti is single use), with the nonce auth last gave us.
      if (req.dpop) headers.dpop = await req.dpop.proof('POST', req.tokenUrl);
      let res: Dispatcher.ResponseData;
      try {
        res = await request(req.tokenUrl, {
          method: 'POST',
          headers,
          body: form.toString(),
          signal: AbortSignal.timeout(timeoutMs),
          dispatcher: options.dispatcher,
        });
      } catch (e) {
        throw new TokenFetchError(`token endpoint unreachable: ${(e as Error).message}`, true, { cause: e });
      }
      const text = await res.body.text().catch(() => '');
      let error = '';
      if (res.statusCode !== 200) {
        try {
          error = String((JSON.parse(text) as { error?: unknown }).error ?? '');
        } catch {
          // not JSON
        }
      }
      return { res, text, error };
    };
    let { res, text, error } = await send();
    if (req.dpop) {
      const fresh = req.dpop.rememberNonce(req.tokenUrl, res.headers['dpop-nonce']);
      // RFC 9449 §8: retry once with the server's nonce; a second refusal is its answer.
      if (fresh && asksForDpopNonce(res.statusCode, res.headers, error)) {
        ({ res, text, error } = await send());
        req.dpop.rememberNonce(req.tokenUrl, res.headers['dpop-nonce']);
      }
    }
    if (res.statusCode !== 200) {
      throw new TokenFetchError(
        `token endpoint answered ${res.statusCode}${error ? ` ${error}` : ''}`,
        res.statusCode >= 500 || res.statusCode === 429,
        {
          status: res.statusCode,
        },
      );
    }
    let body: { access_token?: unknown; expires_in?: unknown; token_type?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (e) {
      throw new TokenFetchError('token endpoint answered invalid JSON', true, { status: 200, cause: e });
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new TokenFetchError('token endpoint answered without an access_token', true, { status: 200 });
    }
    const expiresIn = Number(body.expires_in);
    // expires_in is RECOMMENDED, not required (RFC 6749 §5.1): assume a short life when absent.
    return {
      accessToken: body.access_token,
      expiresInSeconds: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 60,
      // RFC 6749 §5.1: token_type is case-insensitive.
      tokenType: typeof body.token_type === 'string' && body.token_type.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer',
    };
  };
}
