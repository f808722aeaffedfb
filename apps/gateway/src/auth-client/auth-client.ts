import { GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_API_KEY } from '@authmesh/contracts';
import { Agent, request } from 'undici';
import { AuthUnavailableError } from '../errors/gateway-errors.js';
import { type ForwardContext, forwardingHeaders } from '../proxy/forward-headers.js';
import { forwardedForProofHeaders } from '../rate-limit/forwarded-for-proof.js';

/** RFC 6749 §5.1 token response, as auth sends it. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  scope?: string;
  issued_token_type?: string;
}

/** An answer from auth, parsed as JSON when it is JSON. */
export interface AuthAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface AuthClientOptions {
  /** AUTH_URL */
  readonly authUrl: string;
  /** Bound on each call, start to last body byte (GATEWAY_UPSTREAM_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** The gateway's confidential client: sessions' refresh and revocation (their families are its own), token exchange. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** GATEWAY_PROXY_SECRET: proves to auth that the gateway wrote X-Forwarded-For. */
  readonly proxySecret?: string;
}

const RELAYED_HEADERS = ['retry-after', 'www-authenticate', 'cache-control', 'dpop-nonce'];

/** Makes the gateway's DPoP proof for one token request, with auth's nonce when it gave one. */
export type TokenRequestProof = (nonce: string | undefined) => Promise<string>;

/**
 * The gateway's calls to auth (refresh, revoke, token exchange) over one keep-alive pool, each
 * authenticated as the gateway's confidential client (client_secret_basic). The code exchange of a
 * browser login is openid-client's (AuthRelyingParty).
 * Each call carries the client's X-Forwarded-For and X-Request-Id, so auth's per-address login
 * limits (with the gateway's proof, GATEWAY_PROXY_SECRET, or TRUST_PROXY set to the gateway) see the
 * real client rather than the gateway.
 */
export class AuthClient {
  private readonly agent: Agent;
  /** The last `DPoP-Nonce` auth sent (RFC 9449 §8): put in the next proof, so a nonce-requiring auth rarely asks twice. */
  private dpopNonce: string | undefined;

  constructor(private readonly options: AuthClientOptions) {
    this.agent = new Agent({ headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, connect: { timeout: options.timeoutMs } });
  }

  /**
   * grant_type=refresh_token (RFC 6749 §6) as the gateway's client: a code-flow family is bound to
   * the client that redeemed its code. `signal`: the caller's own deadline (the session's refresh
   * lock), on top of the per-call bound.
   */
  refresh(refreshToken: string, ctx: ForwardContext, signal?: AbortSignal): Promise<AuthAnswer> {
    return this.form(
      '/oauth/token',
      { grant_type: GRANT_REFRESH_TOKEN, refresh_token: refreshToken },
      ctx,
      { authorization: this.basic() },
      signal,
    );
  }

  /** RFC 7009 revocation of a refresh token: auth revokes its whole family and the family's access tokens. */
  revokeRefreshToken(refreshToken: string, ctx: ForwardContext): Promise<AuthAnswer> {
    return this.form('/oauth/revoke', { token: refreshToken, token_type_hint: 'refresh_token' }, ctx, { authorization: this.basic() });
  }

  /**
   * RFC 8693 token exchange as the gateway's confidential client, for one audience. With `dpop`,
   * the request carries the gateway's proof, so auth binds the issued token to the gateway's key
   * (RFC 9449 §5); when auth answers `use_dpop_nonce` (§8) it is retried once with the nonce.
   */
  async exchange(subjectToken: string, audience: string, ctx: ForwardContext, dpop?: TokenRequestProof): Promise<AuthAnswer> {
    const values = {
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token: subjectToken,
      subject_token_type: TOKEN_TYPE_ACCESS_TOKEN,
      audience,
    };
    if (dpop === undefined) return this.form('/oauth/token', values, ctx, { authorization: this.basic() });
    let answer = await this.form('/oauth/token', values, ctx, { authorization: this.basic(), dpop: await dpop(this.dpopNonce) });
    const nonce = answer.headers['dpop-nonce'];
    if (nonce !== undefined) this.dpopNonce = nonce;
    if (answer.status === 400 && oauthError(answer) === 'use_dpop_nonce' && nonce !== undefined) {
      answer = await this.form('/oauth/token', values, ctx, { authorization: this.basic(), dpop: await dpop(nonce) });
      if (answer.headers['dpop-nonce'] !== undefined) this.dpopNonce = answer.headers['dpop-nonce'];
    }
    return answer;
  }

  /** The URL of auth's token endpoint as the gateway calls it: the `htu` of its token-request proofs. */
  get tokenEndpoint(): string {
    return `${this.options.authUrl}/oauth/token`;
  }

  /**
   * RFC 8693 token exchange of an API key (subject type TOKEN_TYPE_API_KEY) for one audience. The
   * client's address reaches auth as X-Forwarded-For with the gateway's proof, for the key's allow-list.
   */
  exchangeApiKey(apiKey: string, audience: string, ctx: ForwardContext): Promise<AuthAnswer> {
    return this.form(
      '/oauth/token',
      { grant_type: GRANT_TOKEN_EXCHANGE, subject_token: apiKey, subject_token_type: TOKEN_TYPE_API_KEY, audience },
      ctx,
      { authorization: this.basic() },
    );
  }

  /** RFC 6749 §2.3.1 client_secret_basic: id and secret form-urlencoded before Basic encoding. */
  private basic(): string {
    const id = encodeURIComponent(this.options.clientId);
    const secret = encodeURIComponent(this.options.clientSecret);
    return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private form(
    path: string,
    values: Record<string, string>,
    ctx: ForwardContext,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<AuthAnswer> {
    return this.call(path, new URLSearchParams(values).toString(), 'application/x-www-form-urlencoded', ctx, headers, signal);
  }

  private async call(
    path: string,
    body: string,
    contentType: string,
    ctx: ForwardContext,
    extra: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<AuthAnswer> {
    // The agent's timeouts bound each phase (connect, headers, each body chunk) separately, so a
    // slow auth could take several times the timeout; this signal bounds the whole call, body
    // included (undici aborts the body stream with it).
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const res = await request(`${this.options.authUrl}${path}`, {
        method: 'POST',
        dispatcher: this.agent,
        signal: signal ? AbortSignal.any([deadline, signal]) : deadline,
        headers: {
          ...forwardingHeaders(ctx),
          ...forwardedForProofHeaders(this.options.proxySecret, ctx.forwardedFor),
          'content-type': contentType,
          accept: 'application/json',
          ...extra,
        },
        body,
      });
      const text = await res.body.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined; // not JSON: relayed as an empty body
      }
      const headers: Record<string, string> = {};
      for (const name of RELAYED_HEADERS) {
        const v = res.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      return { status: res.statusCode, headers, body: parsed };
    } catch (e) {
      throw new AuthUnavailableError(`POST ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** A successful token response, or undefined when the body is not one. */
export function asTokenResponse(answer: AuthAnswer): TokenResponse | undefined {
  const b = answer.body as Partial<TokenResponse> | undefined;
  if (answer.status !== 200 || typeof b !== 'object' || b === null) return undefined;
  if (typeof b.access_token !== 'string' || typeof b.expires_in !== 'number') return undefined;
  return b as TokenResponse;
}

/** The RFC 6749 §5.2 `error` of an answer, if it has one. */
export function oauthError(answer: AuthAnswer): string | undefined {
  const e = (answer.body as { error?: unknown } | undefined)?.error;
  return typeof e === 'string' ? e : undefined;
}
