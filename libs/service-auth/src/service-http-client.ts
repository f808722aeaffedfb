import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher, request } from 'undici';
import { type DpopKey, asksForDpopNonce } from './dpop-key.js';
import { ServiceUnreachableError } from './errors.js';

/** What the HTTP client needs from a token source (ClientCredentialsTokenSource implements it). */
export interface AccessTokenProvider {
  getToken(): Promise<string>;
  /** A new token replacing `rejected`. */
  refresh(rejected?: string): Promise<string>;
}

export interface ServiceHttpClientOptions {
  /** The callee's base URL, e.g. http://127.0.0.1:3003 */
  readonly baseUrl: string;
  /** Tokens for the callee's audience. */
  readonly tokens: AccessTokenProvider;
  /** Bound on each attempt, from sending the request to reading the whole body. */
  readonly timeoutMs: number;
  /** undici dispatcher (default: a keep-alive Agent of this client's own, closed by `close()`). */
  readonly dispatcher?: Dispatcher;
  /**
   * RFC 9449: the key the tokens are bound to (the token source's). Each request then goes with
   * `Authorization: DPoP <token>` and a fresh proof for its method and URL, with `ath`.
   */
  readonly dpop?: DpopKey;
}

export interface ServiceRequest {
  readonly method?: Dispatcher.HttpMethod;
  /** Path and query, appended to the base URL: `/profiles/42`. */
  readonly path: string;
  /** The incoming request's id, propagated as `x-request-id` so one id follows the call across services. */
  readonly requestId?: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ServiceResponse<T = unknown> {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body; `undefined` when empty or not JSON. */
  readonly body: T | undefined;
}

/**
 * An HTTP client for one callee service: attaches a client-credentials bearer token, propagates
 * `x-request-id`, bounds every attempt with a timeout, and when the callee answers 401 (the token
 * was revoked, or signed by a key the callee has not seen yet) fetches a new token once and
 * retries once. Any status is returned to the caller; only transport failures throw
 * (`ServiceUnreachableError`), and token failures (`TokenFetchError`).
 *
 * @example
 * const profiles = new ServiceHttpClient({ baseUrl: 'http://127.0.0.1:3003', tokens: profilesTokens, timeoutMs: 2000 });
 * const res = await profiles.request({ path: `/profiles/${userId}`, requestId: req.id });
 * if (res.status === 200) use(res.body);
 * await profiles.close(); // at shutdown
 */
export class ServiceHttpClient {
  private readonly baseUrl: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;

  constructor(private readonly options: ServiceHttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connect: { timeout: options.timeoutMs } });
  }

  async request<T = unknown>(req: ServiceRequest): Promise<ServiceResponse<T>> {
    const token = await this.options.tokens.getToken();
    const first = await this.send<T>(req, token);
    if (first.status !== 401) return first;
    const dpop = this.options.dpop;
    // RFC 9449 §9: the callee wants its nonce in the proof; the token is fine, retry once with it.
    if (dpop && dpop.rememberNonce(this.urlOf(req), first.headers['dpop-nonce']) && asksForDpopNonce(401, first.headers))
      return this.send<T>(req, token);
    // Refresh once, retry once: a second 401 is the callee's answer, not a stale token.
    return this.send<T>(req, await this.options.tokens.refresh(token));
  }

  private urlOf(req: ServiceRequest): string {
    return `${this.baseUrl}${req.path}`;
  }

  /** Closes the connections this client opened (not a dispatcher it was given). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async send<T>(req: ServiceRequest, token: string): Promise<ServiceResponse<T>> {
    const target = this.urlOf(req);
    const method = req.method ?? 'GET';
    const dpop = this.options.dpop;
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...req.headers,
      authorization: dpop ? `DPoP ${token}` : `Bearer ${token}`,
    };
    // A fresh proof per attempt: verifiers refuse a jti they have seen.
    if (dpop) headers.dpop = await dpop.proof(method, target, { accessToken: token });
    if (req.requestId) headers['x-request-id'] = req.requestId;
    let payload: string | undefined;
    if (req.body !== undefined) {
      payload = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const res = await request(target, { method: req.method ?? 'GET', headers, body: payload, signal, dispatcher: this.dispatcher });
      const text = await res.body.text();
      let body: T | undefined;
      try {
        body = text === '' ? undefined : (JSON.parse(text) as T);
      } catch {
        body = undefined;
      }
      return { status: res.statusCode, headers: res.headers, body };
    } catch (e) {
      if (signal.aborted) {
        throw new ServiceUnreachableError(`${req.method ?? 'GET'} ${target} timed out after ${this.options.timeoutMs} ms`, 'timeout', {
          cause: e,
        });
      }
      throw new ServiceUnreachableError(`${req.method ?? 'GET'} ${target} failed: ${(e as Error).message}`, 'network', { cause: e });
    }
  }
}
