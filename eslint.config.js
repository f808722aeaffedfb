import js from '@eslint/js';
import { readdirSync } from 'node:fs';
import { URL } from 'node:url';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// The layering (docs/architecture.md, "Libraries and dependency direction"):
// contracts ← platform ← token-verifier ← revocation; service-auth sits on platform; apps sit on
// libs and never on each other; only e2e/ boots several apps. Encoded as one
// `no-restricted-imports` configuration per folder, because a later flat-config block replaces a
// rule's options instead of merging them.

// Read from the tree so a new app is covered the day it lands.
const APPS = readdirSync(new URL('./apps/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/** The @authmesh libs each lib may import (itself excluded; `testing` only from tests, below). */
const LIB_DEPENDS_ON = {
  contracts: [],
  platform: ['contracts'],
  'token-verifier': ['platform', 'contracts'],
  revocation: ['token-verifier', 'platform', 'contracts'],
  // Calls services over undici; takes the backoff from @authmesh/platform/core and the grant names from contracts.
  'service-auth': ['platform', 'contracts'],
  // Test helpers may build on any lib (a token factory, an app booter), never on an app.
  testing: ['contracts', 'platform', 'token-verifier', 'revocation', 'service-auth'],
};
const LIBS = Object.keys(LIB_DEPENDS_ON);
// A lib missing from the table would be unconstrained: make adding one a decision.
for (const d of readdirSync(new URL('./libs/', import.meta.url), { withFileTypes: true })) {
  if (d.isDirectory() && !LIBS.includes(d.name)) throw new Error(`eslint.config.js: add libs/${d.name} to LIB_DEPENDS_ON`);
}

const alternation = (names) => names.join('|');

// Relative imports are matched as written (the rule does not resolve them), so "another app" is
// any climb out of the folder that lands in `<app>/src/` or `<app>/test/` (with or without a
// leading `apps/`): no folder inside an app is itself named like that.
const intoApps = (apps, message) => ({ regex: `^(\\.\\./)+(apps/)?(${alternation(apps)})/(src|test)(/|$)`, message });
const viaRepoRoot = {
  regex: '(^|/)apps/',
  message: 'Code under apps/ and libs/ never reaches into apps/ by path: share code through a lib.',
};
const libInternals = {
  // @authmesh/platform/core is platform's framework-free entry (backoff), for the libs' Nest-free cores;
  // token-verifier's subpaths are its package.json `exports` (each a src/<subpath>/index.ts).
  group: [
    '**/libs/*/src/**',
    '@authmesh/*/*',
    '!@authmesh/platform/core',
    '!@authmesh/token-verifier/core',
    '!@authmesh/token-verifier/nest',
    '!@authmesh/token-verifier/passport',
    '!@authmesh/token-verifier/passport-jwt',
  ],
  message: 'Import a lib through its @authmesh/<name> alias (its public surface is src/index.ts).',
};
const libTestFolders = {
  group: ['**/libs/*/test/**'],
  message: "A lib's test/ folder is its own; helpers shared across packages live in @authmesh/testing.",
};
const testingInRuntime = { name: '@authmesh/testing', message: 'libs/testing is for tests only.' };

function restrict(patterns, paths = []) {
  return { 'no-restricted-imports': ['error', { paths, patterns }] };
}

function appBlocks(app) {
  const others = APPS.filter((a) => a !== app);
  const patterns = [
    intoApps(others, `apps/${app} never imports another app (${others.join(', ')}): a test that needs two apps lives in e2e/.`),
    viaRepoRoot,
    libInternals,
    libTestFolders,
  ];
  return [
    { files: [`apps/${app}/**/*.ts`], rules: restrict(patterns) },
    { files: [`apps/${app}/src/**/*.ts`], ignores: ['**/*.spec.ts'], rules: restrict(patterns, [testingInRuntime]) },
  ];
}

function libBlocks(lib) {
  const allowed = new Set([lib, 'testing', ...LIB_DEPENDS_ON[lib]]);
  const forbidden = LIBS.filter((l) => !allowed.has(l)).map((l) => ({
    name: `@authmesh/${l}`,
    message: LIB_DEPENDS_ON[lib].length
      ? `libs/${lib} may import only ${LIB_DEPENDS_ON[lib].map((l) => `@authmesh/${l}`).join(', ')}.`
      : `libs/${lib} imports no other @authmesh lib: anything may depend on it.`,
  }));
  if (!allowed.has('platform'))
    forbidden.push({ name: '@authmesh/platform/core', message: `libs/${lib} may not import @authmesh/platform.` });
  const patterns = [
    ...(lib === 'contracts' ? [{ group: ['@nestjs/*'], message: 'libs/contracts is types and constants: no Nest.' }] : []),
    intoApps(APPS, `libs/${lib} never imports an app: apps depend on libs, not the other way round.`),
    viaRepoRoot,
    {
      regex: `^(\\.\\./)+(libs/)?(${alternation(LIBS.filter((l) => l !== lib))})/(src|test)(/|$)`,
      message: 'Import another lib through its @authmesh/<name> alias, never by path.',
    },
    libInternals,
    libTestFolders,
  ];
  const blocks = [{ files: [`libs/${lib}/**/*.ts`], rules: restrict(patterns, forbidden) }];
  if (lib !== 'testing') {
    const runtime = [
      ...forbidden,
      testingInRuntime,
      {
        name: `@authmesh/${lib}`,
        message: `Inside libs/${lib}, import its files by relative path: the alias would cycle through index.ts.`,
      },
    ];
    blocks.push({ files: [`libs/${lib}/src/**/*.ts`], ignores: ['**/*.spec.ts'], rules: restrict(patterns, runtime) });
  }
  return blocks;
}

export default tseslint.config(
  { ignores: ['dist/', 'libs/*/dist/', 'node_modules/', '.data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // No consistent-type-imports: Nest's DI needs constructor parameter types as runtime values
      // (emitDecoratorMetadata); `import type` would silently turn them into Object.
      'no-console': 'error',
    },
  },
  ...APPS.flatMap(appBlocks),
  ...LIBS.flatMap(libBlocks),
  // End-to-end tests boot several apps to cross real boundaries (tokens from auth, verified by
  // orders), so they may import any app; libs still only through their alias.
  { files: ['e2e/**/*.ts'], rules: restrict([libInternals, libTestFolders]) },
);
