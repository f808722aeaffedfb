/**
 * The load's tokens during the rotation bench, as a fleet of clients would hold them: a fresh
 * client-credentials token from auth every `intervalMs`, the last `keep` of them in use at once,
 * so tokens signed by the previous key stay in flight after a rotation (they must keep working)
 * while new ones carry the new key (the verifier must know it by then).
 */
import type { AuthClient, ClientCredentials } from './auth-client.js';

const kidOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString()) as { kid: string }).kid;

export class TokenFeed {
  private tokens: { token: string; kid: string }[] = [];
  private readonly revoked = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  /** Tokens auth issued, by kid, in order of first appearance. */
  readonly issuedByKid = new Map<string, number>();

  constructor(
    private readonly auth: AuthClient,
    private readonly client: ClientCredentials,
    private readonly publish: (tokens: readonly string[]) => void,
    private readonly keep: number,
    private readonly intervalMs: number,
  ) {}

  /** Fetches the first token and starts refreshing. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch((e: unknown) => (this.failure ??= e as Error)), this.intervalMs);
  }

  /** The tokens in use now. */
  current(): readonly string[] {
    return this.tokens.map((t) => t.token);
  }

  /** Fetches one more token now and publishes the set. */
  async refresh(): Promise<void> {
    const token = await this.auth.token(this.client, 'orders', 'orders:read');
    const kid = kidOf(token);
    this.issuedByKid.set(kid, (this.issuedByKid.get(kid) ?? 0) + 1);
    if (this.revoked.has(kid)) return;
    this.tokens = [...this.tokens.filter((t) => !this.revoked.has(t.kid)), { token, kid }].slice(-this.keep);
    this.publish(this.current());
  }

  /** No token signed by `kid` is used from now on (the set keeps one token until a fresh one comes). */
  drop(kid: string): void {
    this.revoked.add(kid);
    const left = this.tokens.filter((t) => t.kid !== kid);
    if (left.length > 0) {
      this.tokens = left;
      this.publish(this.current());
    }
  }

  /** Throws the first refresh failure (a token request auth refused during the run). */
  check(): void {
    if (this.failure) throw this.failure;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
