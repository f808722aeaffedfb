import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import type { Logger } from 'pino';
import { appScope } from '../bootstrap/app-scope.js';

type PinoMethod = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const LEVELS: Readonly<Record<NestLogLevel, PinoMethod>> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/**
 * Nest's logger for every app of the process. Nest keeps one static logger (`Logger.overrideLogger`,
 * which `app.useLogger` calls): with several apps in one process the last `useLogger` would name
 * every `new Logger('Ctx')` line. This one writes to the logger of the app whose async scope the
 * call runs in (`appScope`), and to `fallback` outside any app (the suite's own start-up).
 */
export class ScopedNestLogger implements LoggerService {
  constructor(private readonly fallback: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: NestLogLevel, message: unknown, rest: unknown[]): void {
    const logger = appScope.getStore()?.logger ?? this.fallback;
    const method = LEVELS[level];
    // Nest passes the context (`new Logger('Seeder')`) as the last string argument; error() may
    // pass a stack before it.
    const params = [...rest];
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    if (message instanceof Error) {
      logger[method]({ ...fields, err: message }, message.message);
      return;
    }
    if (level === 'error' && typeof params[0] === 'string' && params[0].includes('\n')) fields.stack = params[0];
    if (typeof message === 'object' && message !== null) logger[method]({ ...fields, ...(message as Record<string, unknown>) });
    else logger[method](fields, String(message));
  }
}
