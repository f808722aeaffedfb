import {
  AUDIENCE_PATTERN,
  CLIENT_GRANT_TYPES,
  CLIENT_ID_PATTERN,
  CLIENT_ID_RULE,
  JTI_PATTERN,
  type NewClient,
  type Revocation,
  SCOPE_TOKEN_PATTERN,
} from '@authmesh/contracts';
import { readFileSync } from 'node:fs';
import { RefusedInputError, UsageError } from './errors.js';

/**
 * Argument rules checked before anything is sent to auth. They are the server's own rules
 * (@authmesh/contracts), so a mistake costs no round trip and leaves no trace in auth's logs, and
 * add the checks only the CLI can make (it knows its own client id, and that `--exp` is in seconds).
 */

/** `exp` values above this are milliseconds, not seconds (10^11 s is the year 5138). */
const MAX_PLAUSIBLE_EXP_S = 99_999_999_999;
const MAX_REASON = 500;

/** Collects a repeatable/variadic flag's values; each value may itself be space-separated (`--scope "a b"`). */
export function collectWords(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(/\s+/).filter(Boolean)];
}

/** `--reason`: required for `keys revoke`, optional elsewhere; never blank. */
export function parseReason(reason: unknown, required: boolean): string | undefined {
  if (reason === undefined || reason === true) {
    if (required) throw new UsageError('--reason <text> is required: say why (it is kept in the key audit log)');
    return undefined;
  }
  const text = String(reason).trim();
  if (text === '') throw new UsageError('--reason must not be blank');
  if (text.length > MAX_REASON) throw new UsageError(`--reason must be at most ${MAX_REASON} characters`);
  return text;
}

/** `revoke`: exactly one of `--jti <jti> --exp <unix-seconds>` or `--sub <sub>`. */
export function parseRevocation(options: { jti?: string; exp?: string; sub?: string }, now = new Date()): Revocation {
  const { jti, exp, sub } = options;
  const byToken = jti !== undefined || exp !== undefined;
  if (byToken && sub !== undefined) throw new UsageError('give either --jti with --exp, or --sub, not both');
  if (!byToken && sub === undefined)
    throw new UsageError('give either --jti <jti> --exp <unix-seconds> (one token) or --sub <sub> (every token of a subject)');
  if (sub !== undefined) {
    const s = sub.trim();
    if (s === '' || s.length > 255) throw new UsageError('--sub must be 1-255 characters');
    return { sub: s };
  }
  if (jti === undefined) throw new UsageError('--exp goes with --jti <jti>');
  if (exp === undefined)
    throw new UsageError("--jti needs --exp <unix-seconds> (the token's exp claim): the blocklist entry lives until then");
  if (!JTI_PATTERN.test(jti)) throw new UsageError('--jti must be 1-128 URL-safe characters (A-Z a-z 0-9 . _ ~ -)');
  if (!/^\d{1,16}$/.test(exp)) throw new UsageError(`--exp must be a Unix time in seconds (got "${exp.slice(0, 40)}")`);
  const seconds = Number(exp);
  if (seconds > MAX_PLAUSIBLE_EXP_S) throw new UsageError(`--exp ${exp} looks like milliseconds; give the token's exp claim, in seconds`);
  if (seconds * 1000 > now.getTime() + 24 * 3600 * 1000) {
    // Access tokens live at most 1 h: an exp days away is a typo, and would pin a blocklist entry that long.
    throw new UsageError(
      `--exp ${exp} is more than a day away (${new Date(seconds * 1000).toISOString()}); access tokens live at most 1 h`,
    );
  }
  return { jti, exp: seconds };
}

/** The flags of `clients create`. */
export interface NewClientOptions {
  scope?: string[];
  audience?: string[];
  grantType?: string[];
  jwks?: string;
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  public?: boolean;
  firstParty?: boolean;
  dpopBound?: boolean;
}

/**
 * `--redirect-uri` / `--post-logout-redirect-uri`: each an absolute URI. The full rules (https or
 * loopback http, no fragment or wildcard, at most 20) are auth's, answered as a 400 naming the field.
 */
function parseRedirectUris(flag: string, values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  for (const v of values) {
    if (!URL.canParse(v))
      throw new UsageError(`${flag} "${v.slice(0, 100)}" is not an absolute URI (e.g. https://app.example.com/callback)`);
  }
  return unique(values);
}

/** `clients create`: the same rules as auth's `POST /admin/clients`. */
export function parseNewClient(
  clientId: string | undefined,
  options: NewClientOptions,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): NewClient {
  const id = parseClientId(clientId);
  const scopes = options.scope ?? [];
  if (scopes.length === 0)
    throw new UsageError('--scope <scope...> is required (RFC 6749 scope tokens, e.g. --scope orders:read orders:write)');
  const badScope = scopes.find((s) => !SCOPE_TOKEN_PATTERN.test(s));
  if (badScope !== undefined)
    throw new UsageError(`--scope "${badScope}" is not an RFC 6749 scope token (visible ASCII, no space, " or \\)`);
  const audiences = options.audience ?? [];
  if (audiences.length === 0)
    throw new UsageError('--audience <audience...> is required (the services its tokens are for, e.g. --audience orders)');
  const badAudience = audiences.find((a) => !AUDIENCE_PATTERN.test(a));
  if (badAudience !== undefined) throw new UsageError(`--audience "${badAudience}" must be 1-256 visible ASCII characters`);
  const client: NewClient = { clientId: id, scopes: unique(scopes), audiences: unique(audiences) };
  if (options.grantType !== undefined) {
    const bad = options.grantType.find((g) => !(CLIENT_GRANT_TYPES as readonly string[]).includes(g));
    if (bad !== undefined) throw new UsageError(`--grant-type "${bad}" is not one of ${CLIENT_GRANT_TYPES.join(', ')}`);
    client.grantTypes = unique(options.grantType);
  }
  if (options.jwks !== undefined) client.jwks = parseJwksFile(options.jwks, readFile);
  const redirectUris = parseRedirectUris('--redirect-uri', options.redirectUri);
  if (redirectUris) client.redirectUris = redirectUris;
  const postLogout = parseRedirectUris('--post-logout-redirect-uri', options.postLogoutRedirectUri);
  if (postLogout) client.postLogoutRedirectUris = postLogout;
  if (options.public === true) {
    if (client.jwks) throw new UsageError('--public and --jwks contradict each other: a public client has no keys and no secret');
    client.tokenEndpointAuthMethod = 'none';
    // A public client logs users in and nothing else: the code grant (and refreshing its login) by default.
    client.grantTypes ??= ['authorization_code', 'refresh_token'];
  }
  if (options.firstParty === true) client.firstParty = true;
  if (options.dpopBound === true) client.dpopBoundAccessTokens = true;
  return client;
}

// Members of a private or symmetric JWK (RFC 7518 §6): a file holding one must never leave this machine.
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * `--jwks FILE`: the client's PUBLIC JWK Set (private_key_jwt). Auth checks the keys (algorithms,
 * sizes, kids) with the rules of AUTH_SEED_CLIENTS and answers 400 naming `jwks`; the CLI only
 * makes sure it is a JWK Set and, above all, that no private key is about to be sent to a server.
 */
export function parseJwksFile(path: string, readFile: (path: string) => string): { keys: Record<string, unknown>[] } {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new UsageError(`--jwks ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let jwks: unknown;
  try {
    jwks = JSON.parse(text);
  } catch {
    throw new UsageError(`--jwks ${path}: not JSON (a JWK Set: { "keys": [ … ] })`);
  }
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'object' || k === null || Array.isArray(k)))
    throw new UsageError(`--jwks ${path}: not a JWK Set ({ "keys": [ … ] })`);
  const leaked = (keys as Record<string, unknown>[]).flatMap((k) => PRIVATE_JWK_MEMBERS.filter((m) => m in k));
  if (leaked.length)
    throw new UsageError(`--jwks ${path}: holds private key material (${[...new Set(leaked)].join(', ')}); register the PUBLIC keys only`);
  return { keys: keys as Record<string, unknown>[] };
}

/** A client id argument. */
export function parseClientId(clientId: string | undefined): string {
  if (clientId === undefined || !CLIENT_ID_PATTERN.test(clientId)) {
    throw new UsageError(`client id must be ${CLIENT_ID_RULE} (got "${(clientId ?? '').slice(0, 70)}")`);
  }
  return clientId;
}

/** Refuses to disable the client authctl itself runs as: it would lock every later command out. */
export function refuseDisablingSelf(clientId: string, ownClientId: string): void {
  if (clientId === ownClientId) {
    throw new RefusedInputError(
      'refused_self_disable',
      `refusing to disable "${clientId}": it is the client authctl runs as (AUTHCTL_CLIENT_ID); every later command would fail. ` +
        'Run this with another auth:admin client.',
    );
  }
}

const unique = (values: string[]): string[] => [...new Set(values)];
