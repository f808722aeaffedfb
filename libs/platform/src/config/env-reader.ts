import { z } from 'zod';
import { ConfigError } from './config.error.js';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads environment variables through zod schemas and collects every problem, so start-up
 * reports all bad variables in one message instead of the first one only.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** A variable that must be set. */
  required<T>(name: string, schema: z.ZodType<T>, hint?: string): T {
    const raw = this.raw(name);
    if (raw === undefined) {
      this.problems.push(`${name}: is required${hint ? ` (${hint})` : ''}`);
      return undefined as T;
    }
    return this.parse(name, raw, schema);
  }

  /** A variable with a default, used when it is unset or empty. */
  optional<T>(name: string, schema: z.ZodType<T>, fallback: string): T {
    return this.parse(name, this.raw(name) ?? fallback, schema);
  }

  /** A variable that may be absent; `undefined` when it is. */
  maybe<T>(name: string, schema: z.ZodType<T>): T | undefined {
    const raw = this.raw(name);
    return raw === undefined ? undefined : this.parse(name, raw, schema);
  }

  /** Records a problem found by a cross-variable rule. */
  problem(name: string, message: string): void {
    this.problems.push(`${name}: ${message}`);
  }

  /** Throws one ConfigError listing every problem, if there is any. */
  finish(app: string): void {
    if (this.problems.length > 0) throw new ConfigError(app, this.problems);
  }

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  private parse<T>(name: string, raw: string, schema: z.ZodType<T>): T {
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    const shown = raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
    // Never echo a value that may hold a secret (URLs with passwords, keys).
    const echo = /secret|password|key|kek|token/i.test(name) || /:\/\/[^/]*:[^/]*@/.test(raw) ? '' : ` (got "${shown}")`;
    this.problems.push(`${name}: ${result.error.issues.map((i) => i.message).join('; ')}${echo}`);
    return undefined as T;
  }
}

/** Value parsers shared by every app's configuration. */
export const envSchemas = {
  port: z
    .string()
    .regex(/^\d{1,5}$/, 'must be an integer port number (0-65535)')
    .transform(Number)
    .refine((n) => n <= 65535, 'must be an integer port number (0-65535)'),
  int: (min: number, max: number) =>
    z
      .string()
      .regex(/^-?\d+$/, `must be an integer between ${min} and ${max}`)
      .transform(Number)
      .refine((n) => n >= min && n <= max, `must be an integer between ${min} and ${max}`),
  bool: z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false').transform((v) => ['true', '1', 'yes'].includes(v)),
  url: (protocols: readonly string[]) =>
    z.string().refine(
      (v) => {
        try {
          const u = new URL(v);
          return protocols.includes(u.protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    ),
  logLevel: z.enum(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    'must be one of fatal, error, warn, info, debug, trace, silent',
  ),
  host: z.string().regex(/^[A-Za-z0-9.:\-[\]]+$/, 'must be a host name or IP address'),
} as const;
