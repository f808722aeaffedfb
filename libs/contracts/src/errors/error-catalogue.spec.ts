import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTHCTL_EXIT_CODES, ERROR_CATALOGUE, type ErrorCodeEntry } from './error-catalogue.js';

/**
 * The ways the source spells a code it throws, answers or exits with. A new way of writing one
 * needs a pattern here, or the catalogue (and docs/errors.md) silently misses its codes.
 */
const CODE_PATTERNS: readonly { what: string; pattern: RegExp; onlyIn?: RegExp }[] = [
  { what: 'an error class', pattern: /static\s+(?:override\s+)?readonly\s+code(?::\s*\w+)?\s*=\s*'([a-z0-9_]+)'/g },
  { what: 'an OAuth error class', pattern: /readonly\s+error\s*=\s*'([a-z0-9_]+)'/g },
  // `code: 'custom'` of a zod issue is not ours.
  { what: 'a literal body', pattern: /(?<!addIssue\(\{\s*)\bcode:\s*'([a-z0-9_]+)'/g },
  { what: 'an authctl refusal', pattern: /new\s+RefusedInputError\(\s*'([a-z0-9_]+)'/g },
  { what: 'a Bearer challenge', pattern: /(?:Bearer error="|bearerChallenge\(')([a-z0-9_]+)/g },
  // The status-to-code mappings of the error filters.
  { what: 'a status mapping', pattern: /return\s+'([a-z0-9_]+)'/g, onlyIn: /\/errors\// },
  { what: 'a status mapping', pattern: /\?\s*'([a-z0-9_]+)'\s*:\s*'([a-z0-9_]+)'/g, onlyIn: /\/errors\// },
];

/** Every code the text spells, with where. */
function codesIn(path: string, text: string): { code: string; where: string }[] {
  const found: { code: string; where: string }[] = [];
  for (const { what, pattern, onlyIn } of CODE_PATTERNS) {
    if (onlyIn && !onlyIn.test(path)) continue;
    for (const m of text.matchAll(pattern)) {
      for (const code of m.slice(1)) if (code !== undefined) found.push({ code, where: `${path} (${what})` });
    }
  }
  return found;
}

const allEntries: ErrorCodeEntry[] = Object.values(ERROR_CATALOGUE).flatMap((f) => [...f.codes]);
const catalogued = new Set(allEntries.map((e) => e.code));

/** The codes of `sources` the catalogue does not list. */
function uncatalogued(sources: { path: string; text: string }[]): string[] {
  return sources
    .flatMap(({ path, text }) => codesIn(path, text).filter((c) => !catalogued.has(c.code)))
    .map((c) => `${c.code} in ${c.where}`);
}

const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
const sourceFiles = execFileSync('git', ['ls-files', 'apps/*/src/**', 'libs/*/src/**'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.startsWith('libs/testing/') && !f.startsWith('libs/contracts/'));

describe('error catalogue', () => {
  it('lists every code the source throws, answers or exits with', () => {
    const sources = sourceFiles.map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
    const found = sources.flatMap(({ path, text }) => codesIn(path, text));
    // The scan itself must see the codes, or this test proves nothing.
    expect(found.length).toBeGreaterThan(60);
    expect(uncatalogued(sources)).toEqual([]);
    // And the other way round: no entry documents a code nothing produces any more.
    const produced = new Set(found.map((c) => c.code));
    expect([...catalogued].filter((code) => !produced.has(code))).toEqual([]);
  });

  it('fails for a code that is thrown but not catalogued', () => {
    const source = {
      path: 'apps/orders/src/orders/order-errors.ts',
      text: "export class Gone extends AppError {\n  static readonly code = 'order_vanished';\n  readonly code = Gone.code;\n}",
    };
    expect(uncatalogued([source])).toEqual(['order_vanished in apps/orders/src/orders/order-errors.ts (an error class)']);
  });

  it('does not take a zod issue code for one of ours', () => {
    const text = "ctx.addIssue({ code: 'custom', message: 'x' }); const body = { code: 'not_found' };";
    expect(codesIn('libs/platform/src/x.ts', text).map((c) => c.code)).toEqual(['not_found']);
  });

  it('gives every code a status or an exit code (unless it never leaves the log), and a one-line meaning', () => {
    for (const [name, family] of Object.entries(ERROR_CATALOGUE)) {
      for (const e of family.codes as readonly ErrorCodeEntry[]) {
        expect({ code: e.code, answered: name === 'internal' ? 'never' : e.status !== undefined || e.exitCode !== undefined }).toEqual({
          code: e.code,
          answered: name === 'internal' ? 'never' : true,
        });
        expect(e.meaning).toMatch(/^\S.*[.)]$/);
        expect(e.meaning).not.toContain('\n');
      }
    }
  });

  it('lists a code once per family', () => {
    for (const family of Object.values(ERROR_CATALOGUE)) {
      const codes = family.codes.map((e) => e.code);
      expect(codes).toEqual([...new Set(codes)]);
    }
  });

  it('gives authctl codes only the documented exit statuses', () => {
    const exits = new Set<number>(AUTHCTL_EXIT_CODES.map((e) => e.exitCode));
    for (const e of ERROR_CATALOGUE.authctl.codes) expect(exits).toContain(e.exitCode);
  });
});
