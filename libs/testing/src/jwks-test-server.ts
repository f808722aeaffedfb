import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server answers on `/.well-known/jwks.json`. */
export type JwksServerMode = 'ok' | 'error500' | 'invalid_json';

/**
 * A JWKS endpoint a test owns, on a real socket: counts requests, honours If-None-Match with an
 * ETag, sends `Cache-Control: public, max-age=N`, and can go down (socket closed), answer 500 or
 * answer a body that is not JSON. Its base URL doubles as the issuer.
 */
export class JwksTestServer {
  /** Requests to the JWKS path, whatever was answered. */
  requests = 0;
  /** Of which answered 304. */
  notModified = 0;
  mode: JwksServerMode = 'ok';
  maxAgeSeconds = 300;
  /** Delay before answering, so concurrent callers pile up on one in-flight fetch. */
  delayMs = 0;
  /** Requests answered from the previous document (see `setDocument`'s `staleRequests`). */
  staleAnswers = 0;
  private body = '{"keys":[]}';
  private etag = '';
  private stale: { body: string; etag: string; left: number } | undefined;
  private server: Server | undefined;

  private constructor(
    document: object,
    public port: number,
  ) {
    this.setDocument(document);
  }

  static async start(document: object): Promise<JwksTestServer> {
    const s = new JwksTestServer(document, 0);
    await s.up();
    return s;
  }

  /** Issuer URL (`http://127.0.0.1:<port>`). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get jwksUri(): string {
    return `${this.url}/.well-known/jwks.json`;
  }

  /**
   * Publishes `document`. With `staleRequests`, the next that many requests are still answered
   * from the previous document (a 304 to its ETag, else its body): an auth replica behind a load
   * balancer that reloads its keyring a moment after the one that announced the change.
   */
  setDocument(document: object, options: { staleRequests?: number } = {}): void {
    const previous = { body: this.body, etag: this.etag };
    this.body = JSON.stringify(document);
    this.etag = `"${createHash('sha256').update(this.body).digest('base64url').slice(0, 16)}"`;
    const left = options.staleRequests ?? 0;
    this.stale = left > 0 ? { ...previous, left } : undefined;
  }

  /** Starts listening (again, on the same port after `down()`). */
  async up(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and cuts every open connection: the issuer is down. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  close(): Promise<void> {
    return this.down();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    this.requests++;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.mode === 'error500') {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
      return;
    }
    if (this.mode === 'invalid_json') {
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': `public, max-age=${this.maxAgeSeconds}` })
        .end('<html>not json');
      return;
    }
    let { body, etag } = this;
    if (this.stale) {
      ({ body, etag } = this.stale);
      this.staleAnswers++;
      if (--this.stale.left === 0) this.stale = undefined;
    }
    const headers = { 'cache-control': `public, max-age=${this.maxAgeSeconds}`, etag };
    if (req.headers['if-none-match'] === etag) {
      this.notModified++;
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': 'application/jwk-set+json' }).end(body);
  }
}
