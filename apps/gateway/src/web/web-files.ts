import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ConfigError } from '@authmesh/platform';

/** The types the app's files may have; a file of any other kind is not served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** One file of the app, held in memory with its strong validator. */
export interface WebFile {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong ETag (RFC 9110 §8.8.3): a digest of the bytes, the same on every gateway replica. */
  readonly etag: string;
}

/**
 * The web app's files, read once at start-up: `index.html`, `account.html` and the flat `assets/`
 * folder. They are a few kilobytes; holding them means a request never touches the filesystem, and
 * a URL can only ever name one of these (no path is resolved against a folder, so there is no path
 * traversal to get wrong).
 */
export class WebFiles {
  private constructor(private readonly files: ReadonlyMap<string, WebFile>) {}

  /** Reads `root` (pages at its top, modules and styles in `assets/`); a missing page stops start-up. */
  static load(root: string, pages: readonly string[]): WebFiles {
    const missing = pages.filter((p) => !existsSync(join(root, p)));
    if (missing.length > 0 || !existsSync(join(root, 'assets')))
      throw new ConfigError('gateway', [
        `the web app's files are missing from ${root} (${[...missing, 'assets/'].join(', ')}); ` +
          '`npm run build` copies apps/gateway/web to dist/apps/gateway/web',
      ]);
    const files = new Map<string, WebFile>();
    const add = (name: string): void => {
      const contentType = CONTENT_TYPES[extname(name)];
      if (contentType === undefined) return;
      const body = readFileSync(join(root, name));
      files.set(name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
    };
    for (const page of pages) add(page);
    for (const entry of readdirSync(join(root, 'assets'), { withFileTypes: true }))
      if (entry.isFile() && !entry.name.startsWith('.')) add(`assets/${entry.name}`);
    return new WebFiles(files);
  }

  /** The file named exactly `name` (`index.html`, `assets/app.js`), or undefined. */
  get(name: string): WebFile | undefined {
    return this.files.get(name);
  }

  /** The names of every file held, for tests and the log. */
  names(): string[] {
    return [...this.files.keys()];
  }
}

/**
 * Whether an `If-None-Match` field matches `etag` (RFC 9110 §13.1.2: weak comparison, `*` matches
 * any current representation): the client's copy is current, the answer is 304.
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const weakless = (tag: string): string => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || weakless(tag) === etag);
}
