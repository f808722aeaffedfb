/** A readiness check: resolves with details when healthy, throws (with a message) when not. */
export type ReadinessCheck = () => Promise<Record<string, unknown> | void>;

/**
 * Where modules add their own readiness checks (JWKS staleness, revocation data…) next to the
 * database and Redis checks every app has.
 */
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  entries(): [string, ReadinessCheck][] {
    return [...this.checks.entries()];
  }
}
