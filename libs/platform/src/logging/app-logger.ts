import { isSpanContextValid, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { BaseConfig, LogFormat } from '../config/base-config.js';

/**
 * Paths pino blanks before a line is written. Nothing on purpose logs a request's headers or body
 * (the access line carries method, route pattern, status, principal ids and codes only); these
 * catch the accident of logging one anyway: bearer tokens, cookies, CSRF tokens, passwords,
 * client secrets, refresh and authorization codes, whatever object they sit in.
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'req.headers.dpop',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.client_secret',
  '*.clientSecret',
  '*.refresh_token',
  '*.access_token',
  '*.id_token',
  '*.subject_token',
  '*.code_verifier',
  '*.client_assertion',
];

export interface AppLoggerOptions {
  /** Where lines go (tests capture them); default stdout. */
  readonly destination?: DestinationStream;
  /** Whether stdout is a terminal (LOG_FORMAT=auto); default `process.stdout.isTTY`. */
  readonly isTTY?: boolean;
}

/** `pretty` when asked, or in `auto` when a person is watching a terminal; JSON for machines. */
export function resolveLogFormat(format: LogFormat, isTTY: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (isTTY ? 'pretty' : 'json') : format;
}

// One stdout stream for every app of the process, so lines of apps in one process never interleave mid-line.
let stdoutJson: DestinationStream | undefined;
let stdoutPretty: DestinationStream | undefined;

function stdoutFor(format: 'json' | 'pretty', isTTY: boolean): DestinationStream {
  if (format === 'json') return (stdoutJson ??= pino.destination({ fd: 1, sync: true }));
  // In-process (sync), not pino's worker-thread transport: a line written just before a crash
  // still reaches the terminal, and `npm start` stays one thread per app.
  return (stdoutPretty ??= PinoPretty({ colorize: isTTY, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
}

/**
 * The trace and span of the active span, on every line (pino `mixin`): a log line leads to its
 * trace and back. With tracing off the API's context is the no-op one and this returns `{}`.
 */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const ctx = span.spanContext();
  return isSpanContextValid(ctx) ? { traceId: ctx.traceId, spanId: ctx.spanId } : {};
}

/**
 * One pino logger per app, named after it (`"name":"orders"`). Built by `startApp` for each app,
 * so the four apps of `npm start` no longer share one: nestjs-pino's LoggerModule keeps a single
 * pino-http instance per process (its `rootLogger.js`), so the first app booted named every line.
 */
export function createAppLogger(config: Pick<BaseConfig, 'app' | 'logLevel' | 'logFormat'>, options: AppLoggerOptions = {}): Logger {
  const isTTY = options.isTTY ?? process.stdout.isTTY === true;
  const pinoOptions: LoggerOptions = {
    name: config.app,
    level: config.logLevel,
    base: { service: config.app },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    mixin: traceFields,
  };
  return pino(pinoOptions, options.destination ?? stdoutFor(resolveLogFormat(config.logFormat, isTTY), isTTY));
}
