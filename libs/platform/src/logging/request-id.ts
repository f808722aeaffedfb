import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Only ids that are safe to log and echo: no spaces or control characters (log injection), bounded length.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes the caller's `x-request-id` when it is acceptable, otherwise generates one. */
export function requestIdFor(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  // pino-http (nestjs-pino) reads `req.id` from the raw request: both loggers then share one id.
  (req as IncomingMessage & { id?: string }).id = id;
  return id;
}
