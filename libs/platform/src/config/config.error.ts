/** Start-up configuration is missing or invalid; lists every problem by variable name at once. */
export class ConfigError extends Error {
  static readonly code = 'config_invalid';
  readonly code = ConfigError.code;

  constructor(
    readonly app: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration for ${app}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
