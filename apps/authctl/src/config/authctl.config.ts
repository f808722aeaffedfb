import { CLIENT_ID_PATTERN, CLIENT_ID_RULE } from '@authmesh/contracts';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EnvTable, EnvVar } from '@authmesh/platform';
import { z } from 'zod';
import { ConfigInvalidError } from '../cli/errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** What authctl needs to reach auth's admin API. */
export interface AuthctlConfig {
  /** Base URL of auth (no trailing slash). */
  authUrl: string;
  clientId: string;
  clientSecret: string;
  /** Bound on every HTTP call, body included. */
  timeoutMs: number;
  /** Where the secret came from (for error messages): the variable or the suite's file. */
  secretSource: string;
}

export const DEFAULT_AUTH_URL = 'http://127.0.0.1:3001';

/** Reads a file, or `undefined` when it does not exist (injected so the loader stays testable without I/O). */
export type ReadOptionalFile = (path: string) => string | undefined;

const readIfExists: ReadOptionalFile = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
};

const httpUrl = z.string().refine((v) => {
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');
const clientId = z.string().regex(CLIENT_ID_PATTERN, `must be ${CLIENT_ID_RULE}`);
const timeout = z
  .string()
  .regex(/^\d+$/, 'must be an integer number of milliseconds between 100 and 600000')
  .transform(Number)
  .refine((n) => n >= 100 && n <= 600_000, 'must be an integer number of milliseconds between 100 and 600000');
// A private_key_jwt entry (orders under `npm start`) has `jwks` and no secret.
const suiteClients = z.array(z.object({ clientId: z.string(), secret: z.string().optional() }).loose());

/**
 * authctl's variables, declared as data for `docs/configuration.md`. The declarations are
 * `EnvVar`s like every app's, written as literals: the `envVar` helpers live in the platform barrel,
 * which the CLI must not load (see below); the type import costs nothing at run time.
 */
export const AUTHCTL_ENV = {
  authUrl: {
    name: 'AUTH_URL',
    kind: 'default',
    schema: httpUrl,
    default: DEFAULT_AUTH_URL,
    description: 'Base URL of the auth service whose admin API authctl calls.',
  } satisfies EnvVar<string, 'default'>,
  clientId: {
    name: 'AUTHCTL_CLIENT_ID',
    kind: 'default',
    schema: clientId,
    default: 'authctl',
    description: 'The client authctl authenticates as (it needs the `auth:admin` scope).',
  } satisfies EnvVar<string, 'default'>,
  clientSecret: {
    name: 'AUTHCTL_CLIENT_SECRET',
    kind: 'optional',
    schema: z.string(),
    derivedDefault: 'the `authctl` entry of `<AUTHMESH_DATA_DIR>/suite-clients.json` (written by `npm start`)',
    description: "That client's secret.",
    secret: true,
  } satisfies EnvVar<string, 'optional'>,
  timeoutMs: {
    name: 'AUTHCTL_TIMEOUT_MS',
    kind: 'default',
    schema: timeout,
    default: '10000',
    description: 'Bound on every HTTP call to auth, body included (100-600000 ms).',
  } satisfies EnvVar<number, 'default'>,
  dataDir: {
    name: 'AUTHMESH_DATA_DIR',
    kind: 'default',
    schema: z.string(),
    default: '.data',
    description: "Where `npm start` keeps its state; authctl reads the suite's client secrets there.",
  } satisfies EnvVar<string, 'default'>,
} satisfies EnvTable;

/**
 * Parses authctl's environment once. Every bad variable is reported at once, by name, and a
 * secret is never echoed. Hand-written over zod rather than `EnvReader` from `@authmesh/platform`:
 * that barrel loads TypeORM, ioredis and Fastify, which add ~0.7 s to every CLI invocation.
 *
 * `AUTHCTL_CLIENT_SECRET` defaults to the `authctl` entry of `<AUTHMESH_DATA_DIR>/suite-clients.json`
 * (`.data/` by default), which `npm start` writes, so `npm start` then `npm run authctl -- keys list`
 * needs no setup.
 */
export function loadAuthctlConfig(env: Env, readFile: ReadOptionalFile = readIfExists): AuthctlConfig {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  function parse<T>(name: string, schema: z.ZodType<T>, fallback: string, echo = true): T | undefined {
    const raw = value(name) ?? fallback;
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    problems.push(`${name}: ${result.error.issues[0]?.message ?? 'is invalid'}${echo ? ` (got "${raw.slice(0, 60)}")` : ''}`);
    return undefined;
  }

  const { authUrl: urlVar, clientId: idVar, clientSecret: secretVar, timeoutMs: timeoutVar, dataDir: dataDirVar } = AUTHCTL_ENV;
  const authUrl = parse(urlVar.name, urlVar.schema, urlVar.default, !/:\/\/[^/]*@/.test(value(urlVar.name) ?? ''));
  const id = parse(idVar.name, idVar.schema, idVar.default);
  const timeoutMs = parse(timeoutVar.name, timeoutVar.schema, timeoutVar.default);

  let clientSecret = value(secretVar.name);
  let secretSource = secretVar.name;
  if (clientSecret === undefined) {
    const file = join(resolve(value(dataDirVar.name) ?? dataDirVar.default), 'suite-clients.json');
    const found = id === undefined ? undefined : secretFromSuiteFile(file, id, readFile);
    if (typeof found === 'string') {
      clientSecret = found;
      secretSource = file;
    } else {
      problems.push(`AUTHCTL_CLIENT_SECRET: is required (${found?.problem ?? `no ${file} to read it from`})`);
    }
  }

  if (problems.length > 0) throw new ConfigInvalidError(problems);
  return { authUrl: authUrl!.replace(/\/+$/, ''), clientId: id!, clientSecret: clientSecret!, timeoutMs: timeoutMs!, secretSource };
}

/** The secret of `clientId` in the suite's file, or why there is none. */
function secretFromSuiteFile(file: string, clientId: string, readFile: ReadOptionalFile): string | { problem: string } | undefined {
  const text = readFile(file);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: `${file} is not valid JSON` };
  }
  const clients = suiteClients.safeParse(parsed);
  if (!clients.success) return { problem: `${file} is not a JSON array of { clientId, secret }` };
  const entry = clients.data.find((c) => c.clientId === clientId);
  if (!entry) return { problem: `${file} has no entry for client "${clientId}"` };
  return entry.secret ?? { problem: `${file} gives client "${clientId}" keys (private_key_jwt), not a secret` };
}

/** The configuration, parsed on first use and then kept: `--help` and usage errors need none. */
export class ConfigSource {
  private cached?: AuthctlConfig;

  constructor(
    private readonly env: Env,
    private readonly readFile: ReadOptionalFile = readIfExists,
  ) {}

  get(): AuthctlConfig {
    this.cached ??= loadAuthctlConfig(this.env, this.readFile);
    return this.cached;
  }
}
