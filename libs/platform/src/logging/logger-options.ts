import type { Params } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import type { BaseConfig } from '../config/base-config.js';

const QUIET_PATHS = ['/health/', '/metrics'];

/** Structured JSON logs; secrets in headers are redacted; probes and scrapes are not logged. */
export function loggerParams(config: BaseConfig): Params {
  return {
    pinoHttp: {
      name: config.app,
      level: config.logLevel,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'],
        censor: '[redacted]',
      },
      autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.some((p) => req.url?.startsWith(p)) },
      customProps: () => ({ service: config.app }),
    },
  };
}
