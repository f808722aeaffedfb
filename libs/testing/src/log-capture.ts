import type { DestinationStream } from 'pino';

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { name?: string; msg?: string };

/**
 * Collects the log lines of the apps a test boots (every app's pino logger writes here instead of
 * stdout). Keeps the raw text too, so a test can search it for a value that must never be logged.
 *
 * @example
 * const logs = captureTestLogs(); // before booting: newTestApp logs at info into it
 * ...
 * expect(logs.accessLines('orders')).toContainEqual(expect.objectContaining({ route: '/orders' }));
 * stopCapturingTestLogs();
 */
export class LogCapture implements DestinationStream {
  readonly lines: LogLine[] = [];
  private rawText: string[] = [];

  write(chunk: string): void {
    this.rawText.push(chunk);
    for (const line of chunk.split('\n')) if (line.trim() !== '') this.lines.push(JSON.parse(line) as LogLine);
  }

  /** Everything written, as written. */
  get raw(): string {
    return this.rawText.join('');
  }

  /** The access lines (`request completed`) of one app, in order. */
  accessLines(app: string): LogLine[] {
    return this.lines.filter((l) => l.name === app && l.msg === 'request completed');
  }
}

let current: LogCapture | undefined;

/** From now on, apps booted by `newTestApp` log at `info` (unless LOG_LEVEL is given) into the returned capture. */
export function captureTestLogs(): LogCapture {
  current = new LogCapture();
  return current;
}

/** Back to silent test apps. */
export function stopCapturingTestLogs(): void {
  current = undefined;
}

/** The capture in force, if any (newTestApp). */
export function activeLogCapture(): LogCapture | undefined {
  return current;
}
