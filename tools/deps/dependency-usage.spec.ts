import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { importedPackages, importsOf, packageOf, sourceFiles } from './import-scan.js';

const ROOT = resolve(import.meta.dirname, '../..');
const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, unknown>;
const keys = (o: unknown): string[] => Object.keys((o ?? {}) as Record<string, unknown>);
const BUILTINS = new Set(builtinModules);

/**
 * A dependency nobody imports is attack surface and install time for nothing (issue 19 found
 * @nestjs/passport, passport and passport-jwt listed and unused). Used means: imported by code
 * in the repository, or one of the narrow, named kinds of use below that an import scan cannot see.
 */
function usedWithoutImport(name: string, imported: ReadonlySet<string>): string | undefined {
  const pkg = json('package.json');
  const scripts = Object.values((pkg.scripts ?? {}) as Record<string, string>).join('\n');
  // A command line tool run by an npm script (`tsc`, `eslint`, `node node_modules/jest/bin/jest.js`).
  const bins = binsOf(name);
  if (bins.some((bin) => new RegExp(`(^|[\\s&|;(])${bin}(\\s|$)`, 'm').test(scripts)) || scripts.includes(`node_modules/${name}/`))
    return 'script';
  // Named by a config file as a string: jest's transform, TypeScript's compiler behind ts-jest.
  if (readFileSync(join(ROOT, 'jest.config.js'), 'utf8').includes(`'${name}'`)) return 'jest.config.js';
  if (name === 'typescript') return 'compiler (tsc, ts-jest)';
  // Type declarations of a package that is used, or listed in tsconfig's `types`.
  if (name.startsWith('@types/')) {
    const target = name.slice('@types/'.length).replace(/^(.+)__(.+)$/, '@$1/$2');
    const types = ((json('tsconfig.base.json').compilerOptions as { types?: string[] }).types ?? []) as string[];
    if (imported.has(target) || types.includes(target) || BUILTINS.has(target)) return 'types';
  }
  // A peer dependency of a used package (Nest's rxjs and reflect-metadata).
  for (const user of imported) if (keys(packageJsonOf(user)?.peerDependencies).includes(name)) return `peer of ${user}`;
  return undefined;
}

function packageJsonOf(name: string): Record<string, unknown> | undefined {
  const path = join(ROOT, 'node_modules', name, 'package.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : undefined;
}

function binsOf(name: string): string[] {
  const bin = packageJsonOf(name)?.bin;
  if (typeof bin === 'string') return [name.split('/').pop()!];
  return keys(bin);
}

describe('dependencies', () => {
  const files = sourceFiles(ROOT);
  const imported = importedPackages(files, ROOT);
  const importedNames = new Set(imported.keys());
  const pkg = json('package.json');
  const declared = [...keys(pkg.dependencies), ...keys(pkg.devDependencies)];

  it('every dependency and devDependency in package.json is imported or otherwise used', () => {
    const unused = declared.filter((name) => !importedNames.has(name) && usedWithoutImport(name, importedNames) === undefined);
    expect(unused).toEqual([]);
  });

  it('every package the code imports is declared in package.json (no phantom dependency)', () => {
    const own = new Set([...declared, ...keys(pkg.peerDependencies)]);
    const phantom = [...imported]
      .filter(([name]) => !name.startsWith('@authmesh/') && !BUILTINS.has(name) && !own.has(name))
      .map(([name, file]) => `${name} (${file})`);
    expect(phantom).toEqual([]);
  });

  describe.each(['contracts', 'platform', 'token-verifier', 'revocation'])('libs/%s as a package', (lib) => {
    const manifest = json(`libs/${lib}/package.json`);
    const runtime = sourceFiles(join(ROOT, 'libs', lib, 'src'), (p) => !p.endsWith('.spec.ts'));
    const needs = [...importedPackages(runtime, ROOT).keys()].filter((n) => !BUILTINS.has(n));

    it('declares every package its runtime code imports, and nothing else', () => {
      const lists = [...keys(manifest.dependencies), ...keys(manifest.peerDependencies)];
      expect({ missing: needs.filter((n) => !lists.includes(n)), unused: lists.filter((n) => !needs.includes(n)) }).toEqual({
        missing: [],
        unused: [],
      });
    });

    it("declares the monorepo's versions of what the apps share with it", () => {
      for (const [name, range] of Object.entries({ ...(manifest.dependencies as object), ...(manifest.peerDependencies as object) })) {
        if (name.startsWith('@authmesh/')) expect({ name, range }).toEqual({ name, range: pkg.version });
        else expect({ name, range }).toEqual({ name, range: `^${packageJsonOf(name)?.version as string}` });
      }
    });
  });

  it("token-verifier's /core entry reaches no Nest module (what a service outside Nest imports)", () => {
    const paths = (json('tsconfig.base.json').compilerOptions as { paths: Record<string, [string]> }).paths;
    const reached = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else if (paths[spec]) visit(join(ROOT, paths[spec][0]));
        else if (packageOf(spec)) packages.add(packageOf(spec)!);
      }
    };
    visit(join(ROOT, 'libs/token-verifier/src/core/index.ts'));
    expect([...packages].filter((p) => p.startsWith('@nestjs/') || p === 'reflect-metadata' || p === 'passport')).toEqual([]);
    // The scan sees type-only imports too, so this is stricter than what Node loads.
    expect(reached.size).toBeGreaterThan(10);
  });
});
