/** What `call` answers: the status, the headers, and the body parsed as JSON (or the raw text when it is not JSON). */
export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * One request over a real socket: a bearer `token` and a JSON `body` are optional; the answer's
 * body is parsed as JSON when it is JSON (a proxy error page or an empty 204 comes back as text).
 *
 * @example
 * const res = await call<{ id: string }>(`${app.url}/orders`, { token, body: { items } });
 */
export async function call<T = Record<string, unknown>>(
  url: string,
  options: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body: body as T };
}
