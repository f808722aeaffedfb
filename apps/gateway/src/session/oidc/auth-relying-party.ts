import { Logger } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import * as oidc from 'openid-client';
import type { GatewaySettings } from '../../config/gateway.config.js';
import {
  AuthUnavailableError,
  LoginCodeRefusedError,
  LoginDeniedError,
  LoginFlowError,
  LoginIssuerMismatchError,
  LoginResponseInvalidError,
} from '../../errors/gateway-errors.js';
import { type ForwardContext, forwardingHeaders } from '../../proxy/forward-headers.js';
import { forwardedForProofHeaders } from '../../rate-limit/forwarded-for-proof.js';

/** What a successful code exchange yields: RFC 6749 §5.1 plus the OIDC ID token. */
export interface CodeFlowTokens {
  readonly accessToken: string;
  readonly expiresIn: number | undefined;
  readonly refreshToken: string | undefined;
  readonly idToken: string;
  readonly sub: string;
}

/** The checks bound to one started login (kept by the browser's pending login). */
export interface CodeFlowChecks {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** After a failed discovery, how long before the next request may try again (auth may be starting). */
const DISCOVERY_RETRY_MS = 2000;

/**
 * The gateway as an OpenID Connect relying party of auth (a confidential client,
 * client_secret_basic), on `openid-client`: discovery, the authorization URL (PKCE S256, state,
 * nonce), the code exchange with its checks (state, RFC 9207 `iss`, ID token claims: iss, aud,
 * exp, nonce), and the RP-initiated logout URL.
 *
 * Two bases for one issuer: the back channel (discovery, token endpoint) goes to AUTH_URL, the
 * browser to GATEWAY_AUTH_PUBLIC_URL; the metadata names endpoints under the issuer, so each URL
 * is moved onto the base its channel uses. Discovery is lazy and retried: an auth that is down at
 * start-up makes logins answer 503 with Retry-After until it answers, never a gateway that won't start.
 */
export class AuthRelyingParty {
  private readonly logger = new Logger('AuthRelyingParty');
  private config: oidc.Configuration | undefined;
  private pending: Promise<oidc.Configuration> | undefined;
  private failedAt = 0;
  private lastFailure = '';
  /** The client's forwarding context for the call in flight (the token request carries X-Forwarded-For). */
  private readonly context = new AsyncLocalStorage<ForwardContext>();

  constructor(
    private readonly settings: GatewaySettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Where auth sends the browser back: the one redirect URI registered for the gateway. */
  get redirectUri(): string {
    return `${this.settings.publicOrigin}/session/callback`;
  }

  /** Where auth's end-session endpoint sends the browser after logout. */
  get postLogoutRedirectUri(): string {
    return `${this.settings.publicOrigin}/`;
  }

  /** Fresh state, nonce and PKCE verifier (each 256 random bits, base64url). */
  static newChecks(): CodeFlowChecks {
    return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
  }

  /** The URL of auth's authorization endpoint (on the browser-facing base) for one login. */
  async authorizationUrl(checks: CodeFlowChecks): Promise<string> {
    const config = await this.configuration();
    const url = oidc.buildAuthorizationUrl(config, {
      response_type: 'code',
      redirect_uri: this.redirectUri,
      scope: this.settings.loginScope,
      state: checks.state,
      nonce: checks.nonce,
      // OAuth 2.1 / RFC 9700 §2.1.1: PKCE S256 for every client, confidential ones included
      // (it binds the code to this login, against code injection).
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
    });
    return this.toBase(url.href, this.settings.authPublicUrl);
  }

  /**
   * Validates the authorization response (`state`, RFC 9207 `iss` against the discovered issuer:
   * a mix-up attack would bring a response from another server), redeems the code with the PKCE
   * verifier and validates the ID token (iss, aud = this client, exp, iat, nonce). The ID token
   * comes straight from auth's token endpoint over the back channel, which OIDC Core §3.1.3.7
   * (6) lets a client trust by the connection instead of checking its signature; the access token
   * is verified at the edge on every use anyway.
   */
  async redeem(callbackQuery: URLSearchParams, checks: CodeFlowChecks, ctx: ForwardContext): Promise<CodeFlowTokens> {
    const config = await this.configuration();
    // RFC 9207 §2.4, checked first so the page names the attack; openid-client checks it again.
    const iss = callbackQuery.get('iss');
    if (iss !== null && iss !== config.serverMetadata().issuer)
      throw new LoginIssuerMismatchError(`iss ${JSON.stringify(iss.slice(0, 200))} is not ${config.serverMetadata().issuer}`);
    const current = new URL(this.redirectUri);
    current.search = callbackQuery.toString();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await this.context.run(ctx, () =>
        oidc.authorizationCodeGrant(config, current, {
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          pkceCodeVerifier: checks.codeVerifier,
          idTokenExpected: true,
        }),
      );
    } catch (e) {
      throw mapGrantError(e);
    }
    const claims = tokens.claims();
    if (tokens.id_token === undefined || claims === undefined) throw new LoginResponseInvalidError('no ID token in the token response');
    return {
      accessToken: tokens.access_token,
      expiresIn: tokens.expires_in,
      refreshToken: tokens.refresh_token,
      idToken: tokens.id_token,
      sub: claims.sub,
    };
  }

  /**
   * OIDC RP-Initiated Logout 1.0 §2: auth's end_session_endpoint (browser-facing) with
   * id_token_hint, client_id and post_logout_redirect_uri; undefined when auth is not reachable or
   * announces none (the session is ended here all the same).
   */
  async endSessionUrl(idToken: string | undefined): Promise<string | undefined> {
    let config: oidc.Configuration;
    try {
      config = await this.configuration();
    } catch {
      return undefined;
    }
    if (config.serverMetadata().end_session_endpoint === undefined) return undefined;
    const params: Record<string, string> = { client_id: this.settings.clientId, post_logout_redirect_uri: this.postLogoutRedirectUri };
    if (idToken !== undefined) params.id_token_hint = idToken;
    return this.toBase(oidc.buildEndSessionUrl(config, params).href, this.settings.authPublicUrl);
  }

  /** The discovered configuration; AuthUnavailableError (503) while auth can't be discovered. */
  async configuration(): Promise<oidc.Configuration> {
    if (this.config) return this.config;
    if (!this.pending) {
      if (this.now() - this.failedAt < DISCOVERY_RETRY_MS) throw new AuthUnavailableError(`OIDC discovery failed: ${this.lastFailure}`);
      this.pending = this.discover().finally(() => (this.pending = undefined));
    }
    return this.pending;
  }

  private async discover(): Promise<oidc.Configuration> {
    const s = this.settings;
    const insecure = [s.authIssuer, s.authUrl, s.authPublicUrl].some((u) => u.startsWith('http:'));
    try {
      // Config validation allowed http only on loopback or with GATEWAY_AUTH_ALLOW_HTTP.
      const config = await oidc.discovery(
        new URL(s.authIssuer),
        s.clientId,
        { redirect_uris: [this.redirectUri] },
        oidc.ClientSecretBasic(s.clientSecret),
        {
          [oidc.customFetch]: this.backChannelFetch,
          execute: insecure ? [oidc.allowInsecureRequests] : [],
          timeout: Math.ceil(s.upstreamTimeoutMs / 1000),
        },
      );
      this.config = config;
      return config;
    } catch (e) {
      this.failedAt = this.now();
      this.lastFailure = e instanceof Error ? `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ''}` : String(e);
      this.logger.warn(`OIDC discovery of ${s.authIssuer} at ${s.authUrl} failed: ${this.lastFailure}`);
      throw new AuthUnavailableError(`OIDC discovery failed: ${this.lastFailure}`);
    }
  }

  /** Every back-channel call goes to AUTH_URL, with the client's X-Forwarded-For (and its proof) when there is a client. */
  private readonly backChannelFetch: oidc.CustomFetch = (url, options) => {
    const ctx = this.context.getStore();
    const headers = new Headers(options.headers);
    if (ctx) {
      for (const [k, v] of Object.entries({
        ...forwardingHeaders(ctx),
        ...forwardedForProofHeaders(this.settings.proxySecret, ctx.forwardedFor),
      }))
        headers.set(k, v);
    }
    return fetch(this.toBase(url, this.settings.authUrl), { ...options, headers });
  };

  /** `url` under the issuer, moved onto `base`; any other URL unchanged. */
  private toBase(url: string, base: string): string {
    const issuer = this.settings.authIssuer;
    if (url === issuer || url.startsWith(`${issuer}/`) || url.startsWith(`${issuer}?`)) return base + url.slice(issuer.length);
    return url;
  }
}

/** openid-client's failures of a code exchange, as the gateway's errors. */
function mapGrantError(e: unknown): Error {
  if (e instanceof AuthUnavailableError || e instanceof LoginFlowError) return e;
  if (e instanceof oidc.AuthorizationResponseError)
    return new LoginDeniedError(e.error, `auth answered ${e.error}: ${e.error_description ?? ''}`);
  if (e instanceof oidc.ResponseBodyError) {
    if (e.status >= 500) return new AuthUnavailableError(`token endpoint answered ${e.status} ${e.error}`);
    return new LoginCodeRefusedError(`token endpoint answered ${e.status} ${e.error}: ${e.error_description ?? ''}`);
  }
  if (e instanceof oidc.ClientError && e.code !== undefined && !/REQUEST|FETCH|TIMEOUT/i.test(e.code)) {
    return new LoginResponseInvalidError(`${e.code}: ${e.message}`);
  }
  // Connection refused, timeouts: fetch's TypeError (or an abort), auth is away.
  return new AuthUnavailableError(
    `code exchange: ${e instanceof Error ? `${e.message} ${e.cause instanceof Error ? e.cause.message : ''}` : String(e)}`,
  );
}
