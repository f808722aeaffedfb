import { createHash } from 'node:crypto';
import type { JwksFetcher, JwksResponse } from '@authmesh/token-verifier';

/** What the fake answers next: a document, an HTTP status, a raw body, a network error, or silence. */
export type FakeAnswer =
  | { kind: 'document'; document: object; maxAgeSeconds?: number; etag?: string }
  | { kind: 'status'; status: number }
  | { kind: 'body'; body: string }
  | { kind: 'network_error' }
  | { kind: 'hang' };

/** An in-memory JWKS endpoint for unit tests (no I/O): counts calls, records the ETags sent. */
export class FakeJwksFetcher {
  calls = 0;
  readonly sentEtags: (string | undefined)[] = [];
  answer: FakeAnswer;
  /** Answered first, one per fetch, before `answer` (a lagging replica's old set, then the new one). */
  readonly queue: FakeAnswer[] = [];
  /** Resolves each fetch only after this promise (to hold a fetch in flight). */
  gate: Promise<void> | undefined;

  constructor(answer: FakeAnswer) {
    this.answer = answer;
  }

  readonly fetcher: JwksFetcher = async ({ etag, signal }) => {
    this.calls++;
    this.sentEtags.push(etag);
    if (this.gate) await this.gate;
    const a = this.queue.shift() ?? this.answer;
    switch (a.kind) {
      case 'document': {
        const tag = a.etag ?? `"${createHash('sha256').update(JSON.stringify(a.document)).digest('hex').slice(0, 16)}"`;
        const cacheControl = a.maxAgeSeconds === undefined ? undefined : `public, max-age=${a.maxAgeSeconds}`;
        if (etag === tag) return { status: 304, etag: tag, cacheControl, body: '' } satisfies JwksResponse;
        return { status: 200, etag: tag, cacheControl, body: JSON.stringify(a.document) };
      }
      case 'status':
        return { status: a.status, body: '' };
      case 'body':
        return { status: 200, body: a.body };
      case 'network_error':
        throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
      case 'hang':
        return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
  };
}
