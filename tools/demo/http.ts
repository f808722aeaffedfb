import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

/** One answer, its body parsed when it is JSON. */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A request body as a form (urlencoded) or JSON, its content-type set in `headers`; undefined when neither. */
export function encodeBody(headers: Record<string, string>, form?: Record<string, string>, json?: unknown): string | undefined {
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return new URLSearchParams(form).toString();
  }
  if (json === undefined) return undefined;
  headers['content-type'] = 'application/json';
  return JSON.stringify(json);
}

/**
 * One HTTP call, bounded: a JSON body unless `form` (RFC 6749 §4.4 token requests are forms), the
 * answer's body parsed when it is JSON, else its text. Never throws on a status; throws on a
 * network error or the timeout.
 */
export async function call<T = Record<string, unknown>>(
  url: string,
  options: { method?: string; body?: unknown; form?: Record<string, string>; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const body = encodeBody(headers, options.form, options.body);
  const res = await fetch(url, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A client-credentials token (RFC 6749 §4.4) from auth at `authUrl`. */
export async function clientToken(authUrl: string, clientId: string, secret: string, audience: string): Promise<string> {
  const res = await call<{ access_token?: string }>(`${authUrl}/oauth/token`, {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, audience },
  });
  if (res.status !== 200 || !res.body.access_token) throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}

/** The built ops CLI, as an operator runs it. */
export const AUTHCTL_MAIN = resolve('dist', 'apps', 'authctl', 'src', 'main.js');

/** `args` with `--json` added among the options: before a `--` (after it, everything is an operand, e.g. a kid starting with '-'). */
export function withJsonFlag(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  return end === -1 ? [...args, '--json'] : [...args.slice(0, end), '--json', ...args.slice(end)];
}

/**
 * Runs `authctl <args> --json` against auth at `authUrl`; its JSON answer, or an error with what it
 * printed. The secret comes from `env` (AUTHCTL_CLIENT_SECRET, or AUTHMESH_DATA_DIR's
 * suite-clients.json), exactly as authctl reads it for an operator.
 */
export function authctl<T>(authUrl: string, args: readonly string[], env: Record<string, string | undefined> = process.env): Promise<T> {
  return new Promise((resolveRun, reject) => {
    execFile(
      process.execPath,
      [AUTHCTL_MAIN, ...withJsonFlag(args)],
      { env: { ...env, AUTH_URL: authUrl }, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`authctl ${args.join(' ')} failed (${error.code ?? error.message}): ${stderr || stdout}`));
        try {
          resolveRun(JSON.parse(stdout) as T);
        } catch {
          reject(new Error(`authctl ${args.join(' ')} printed no JSON: ${stdout}`));
        }
      },
    );
  });
}
