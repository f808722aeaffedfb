import { Agent, request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: Record<string, unknown> | undefined;
}

/** Keep-alive agent shared by a test file; `destroy()` it in afterAll. */
export const testAgent = (): Agent => new Agent({ keepAlive: true, maxSockets: 128 });

/**
 * GET with exact control over the request headers (fetch folds two Authorization headers into
 * one; here each pair is sent as its own header line).
 */
export function rawGet(url: string, headers: [string, string][] = [], agent?: Agent): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent });
    const grouped = new Map<string, string[]>();
    for (const [name, value] of headers) grouped.set(name, [...(grouped.get(name) ?? []), value]);
    for (const [name, values] of grouped) req.setHeader(name, values.length === 1 ? values[0]! : values);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET with `Authorization: Bearer <token>`. */
export const getWithToken = (url: string, token: string, agent?: Agent): Promise<RawResponse> =>
  rawGet(url, [['authorization', `Bearer ${token}`]], agent);
