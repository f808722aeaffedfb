import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/*
 * Which packages the code imports, for the dependency-usage test. knip and depcheck are the
 * maintained tools for this but are not installed here; TypeScript is, and its `preProcessFile`
 * is the compiler's own import scanner (static imports, re-exports, `import()`, `require()`), so
 * this file only walks folders and maps a specifier to its package name.
 */

/** Folders that never hold source (build output, dependencies, runtime data). */
const SKIP = new Set(['node_modules', 'dist', '.data', 'coverage', '.git']);
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** Every source file under `dir` (recursively), as absolute paths. */
export function sourceFiles(dir: string, filter: (path: string) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path, filter));
    else if (SOURCE.test(entry.name) && filter(path)) out.push(path);
  }
  return out;
}

/** The specifiers a file imports, re-exports, `import()`s or `require()`s. */
export function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; undefined for relative, `node:` and built-in specifiers. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || specifier.startsWith('data:'))
    return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The packages imported by `files`, each with the first file (relative to `root`) that imports it. */
export function importedPackages(files: readonly string[], root: string): Map<string, string> {
  const seen = new Map<string, string>();
  for (const file of files) {
    for (const spec of importsOf(file)) {
      const name = packageOf(spec);
      if (name !== undefined && !seen.has(name)) seen.set(name, relative(root, file));
    }
  }
  return seen;
}
