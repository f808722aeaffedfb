import { z } from 'zod';
import { ConfigError } from './config.error.js';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * How a variable behaves when it is unset (or blank): `required` stops start-up, `default` parses
 * its documented default instead, `optional` reads as `undefined` (the code then derives a value
 * from other variables, as `derivedDefault` documents, or the feature stays off).
 */
export type EnvVarKind = 'required' | 'default' | 'optional';

/**
 * One environment variable, declared as data: the reader parses it, and `npm run docs` writes
 * `docs/configuration.md` from the same declaration, so the reference cannot drift from the code.
 */
export interface EnvVar<T = unknown, K extends EnvVarKind = EnvVarKind> {
  readonly name: string;
  readonly kind: K;
  readonly schema: z.ZodType<T>;
  /** The raw value parsed when the variable is unset (`default` kind only). */
  readonly default?: string;
  /** What the default is when the code derives it from other variables (`optional` kind), for the docs. */
  readonly derivedDefault?: string;
  /** Shown after "is required" when a `required` variable is missing, e.g. how to generate one. */
  readonly hint?: string;
  /** One line for the configuration reference. */
  readonly description: string;
  /** Holds a secret: the docs mark it and a parse problem never echoes the value. */
  readonly secret?: boolean;
}

interface EnvVarDoc {
  description: string;
  secret?: boolean;
}

/**
 * Declaration helpers: the kind decides the value's type (`optional` may be `undefined`).
 *
 * @example
 * const ORDERS_ENV = {
 *   timeoutMs: envVar.withDefault('PROFILES_TIMEOUT_MS', envSchemas.int(50, 60_000), '2000', {
 *     description: 'Bound on each call to profiles.',
 *   }),
 * } satisfies EnvTable;
 * const values = reader.read(ORDERS_ENV); // { timeoutMs: number } | undefined
 */
export const envVar = {
  required<T>(name: string, schema: z.ZodType<T>, doc: EnvVarDoc & { hint?: string }): EnvVar<T, 'required'> {
    return { name, kind: 'required', schema, ...doc };
  },
  withDefault<T>(
    name: string,
    schema: z.ZodType<T>,
    fallback: string,
    doc: EnvVarDoc,
  ): EnvVar<T, 'default'> & { readonly default: string } {
    return { name, kind: 'default', schema, default: fallback, ...doc };
  },
  optional<T>(name: string, schema: z.ZodType<T>, doc: EnvVarDoc & { derivedDefault?: string }): EnvVar<T, 'optional'> {
    return { name, kind: 'optional', schema, ...doc };
  },
} as const;

/** An app's (or lib's) variables, keyed by the name the code uses for each value. */
export type EnvTable = Readonly<Record<string, EnvVar<unknown, EnvVarKind>>>;

/** The parsed values of a table: `optional` variables may be `undefined`, the others never are. */
export type EnvValues<S extends EnvTable> = {
  -readonly [K in keyof S]: S[K] extends EnvVar<infer T, infer Kind> ? (Kind extends 'optional' ? T | undefined : T) : never;
};

/** Parts of a configuration read with one reader, each `undefined` when it had a problem. */
type Parts = Record<string, unknown>;

/**
 * Reads environment variables through their declarations and collects every problem, so start-up
 * reports all bad variables in one message instead of the first one only.
 *
 * Values exist only when they parsed: `read` answers `undefined` for a table with a problem, and
 * `finish` either throws the ConfigError or hands back every part non-`undefined`. Every variable's
 * own problem is reported at once; a rule across variables (`must not exceed …`) runs on parsed
 * values only, so it is reported once the tables it reads have no problem of their own.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /**
   * Parses every variable of the table, in its order; the values, or `undefined` when any variable
   * is missing or invalid (each problem is recorded by name). A default derived from other
   * variables is a spread of the declaration: `{ ...TABLE.x, kind: 'default', default: derived }`.
   */
  read<S extends EnvTable>(table: S): EnvValues<S> | undefined {
    const values: Record<string, unknown> = {};
    let ok = true;
    for (const [key, spec] of Object.entries(table) as [keyof S & string, EnvVar<unknown, EnvVarKind>][]) {
      const raw = this.raw(spec.name) ?? spec.default;
      if (raw === undefined) {
        if (spec.kind === 'required') {
          this.problems.push(`${spec.name}: is required${spec.hint ? ` (${spec.hint})` : ''}`);
          ok = false;
        }
        values[key] = undefined;
        continue;
      }
      const parsed = this.parse(spec, raw);
      if (parsed.ok) values[key] = parsed.value;
      else ok = false;
    }
    return ok ? (values as EnvValues<S>) : undefined;
  }

  /** Whether the variable is set to something other than blanks (for rules about its presence). */
  isSet(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  /** Records a problem found by a cross-variable rule. */
  problem(name: string, message: string): void {
    this.problems.push(`${name}: ${message}`);
  }

  /** Throws one ConfigError listing every problem, if there is any. */
  finish(app: string): void;
  /** Throws one ConfigError listing every problem, if there is any; else the parts, none `undefined`. */
  finish<P extends Parts>(app: string, parts: P): { [K in keyof P]: Exclude<P[K], undefined> };
  finish<P extends Parts>(app: string, parts?: P): { [K in keyof P]: Exclude<P[K], undefined> } | void {
    if (this.problems.length > 0) throw new ConfigError(app, this.problems);
    if (parts === undefined) return;
    const missing = Object.keys(parts).filter((k) => parts[k] === undefined);
    // A part is undefined only after a recorded problem; anything else is a bug in a config reader.
    if (missing.length > 0) throw new Error(`configuration parts ${missing.join(', ')} of ${app} are missing without a problem`);
    return parts as { [K in keyof P]: Exclude<P[K], undefined> };
  }

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  private parse(spec: EnvVar<unknown, EnvVarKind>, raw: string): { ok: true; value: unknown } | { ok: false } {
    const result = spec.schema.safeParse(raw);
    if (result.success) return { ok: true, value: result.data };
    const shown = raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
    // Never echo a value that may hold a secret (URLs with passwords, keys).
    const echo =
      spec.secret || /secret|password|key|kek|token/i.test(spec.name) || /:\/\/[^/]*:[^/]*@/.test(raw) ? '' : ` (got "${shown}")`;
    this.problems.push(`${spec.name}: ${result.error.issues.map((i) => i.message).join('; ')}${echo}`);
    return { ok: false };
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
