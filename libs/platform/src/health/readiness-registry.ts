/**
 * A readiness check: resolves with details when healthy, throws (with a message) when this
 * instance cannot serve. Details with `degraded: true` report "serving, but impaired" (readiness
 * stays 200, the body's status says `degraded`).
 */
export type ReadinessCheck = () => Promise<Record<string, unknown> | void>;

export interface ReadinessRegistryOptions {
  /**
   * Checks this app reports but does not fail readiness on: what it fails on is a shared
   * dependency's outage the app serves through (auth keeps issuing tokens and serving its JWKS
   * while its revocation mirror is stale). Their failures show as `degraded` with `down: true`.
   */
  readonly reportOnly?: readonly string[];
}

/**
 * Where modules add their own readiness checks (JWKS staleness, revocation data…) next to the
 * database and Redis checks every app has.
 */
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly reportOnly: ReadonlySet<string>;

  constructor(options: ReadinessRegistryOptions = {}) {
    this.reportOnly = new Set(options.reportOnly ?? []);
  }

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  entries(): [string, ReadinessCheck][] {
    return [...this.checks.entries()];
  }

  /** True when a failure of this check makes the instance not ready (every check unless the app said otherwise). */
  gates(name: string): boolean {
    return !this.reportOnly.has(name);
  }
}
