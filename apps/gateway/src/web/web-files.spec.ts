import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@authmesh/platform';
import { WEB_APP_ROOT } from './web-app.plugin.js';
import { WebFiles, ifNoneMatchMatches } from './web-files.js';

describe('WebFiles', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'web-files-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html>');
    writeFileSync(join(root, 'assets', 'app.js'), 'export {};');
    writeFileSync(join(root, 'assets', '.env'), 'SECRET=1');
    writeFileSync(join(root, 'assets', 'notes.txt'), 'not served');
    mkdirSync(join(root, 'assets', 'nested'));
    writeFileSync(join(root, 'assets', 'nested', 'x.js'), '');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('holds the pages and the flat assets of known types, never a dotfile, another type or a subfolder', () => {
    const files = WebFiles.load(root, ['index.html']);
    expect(files.names().sort()).toEqual(['assets/app.js', 'index.html']);
    expect(files.get('assets/app.js')).toMatchObject({ contentType: 'text/javascript; charset=utf-8' });
    expect(files.get('index.html')!.body.toString()).toBe('<!doctype html>');
  });

  it('gives each file a strong ETag from its bytes: the same on every replica, another for other bytes', () => {
    const a = WebFiles.load(root, ['index.html']).get('index.html')!.etag;
    expect(a).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(WebFiles.load(root, ['index.html']).get('index.html')!.etag).toBe(a);
    writeFileSync(join(root, 'index.html'), '<!doctype html><p>changed');
    expect(WebFiles.load(root, ['index.html']).get('index.html')!.etag).not.toBe(a);
  });

  it('stops start-up with config_invalid, naming the copy step, when a page or assets/ is missing (a dist/ built without it)', () => {
    expect(() => WebFiles.load(root, ['index.html', 'account.html'])).toThrow(ConfigError);
    expect(() => WebFiles.load(root, ['account.html'])).toThrow(/account\.html.*npm run build/);
    rmSync(join(root, 'assets'), { recursive: true });
    expect(() => WebFiles.load(root, ['index.html'])).toThrow(/assets\//);
  });

  it("loads the repository's own app: both pages, the modules, the stylesheet", () => {
    const names = WebFiles.load(WEB_APP_ROOT, ['index.html', 'account.html']).names();
    expect(names).toEqual(
      expect.arrayContaining(['index.html', 'account.html', 'assets/app.js', 'assets/account.js', 'assets/session.js', 'assets/app.css']),
    );
  });
});

describe('ifNoneMatchMatches (RFC 9110 §13.1.2)', () => {
  const etag = '"abc"';
  it.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abd"', false],
    ['abc', false],
    ['', false],
  ])('%j → %s', (header, expected) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(expected);
  });
  it('no header → false', () => expect(ifNoneMatchMatches(undefined, etag)).toBe(false));
});
