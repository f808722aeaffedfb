import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'coverage/'] },
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
  {
    // Apps never import from each other, nor a lib's internal files: only @authmesh/<lib>.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/apps/*', '../../*/src/*', '../../../apps/**'], message: 'Apps never import from each other.' },
            {
              group: ['**/libs/*/src/**', '@authmesh/*/*', '!@authmesh/platform/core'],
              message: 'Import a lib through its @authmesh/<name> alias.',
            },
          ],
        },
      ],
    },
  },
  {
    // libs/contracts is types and constants anything may depend on: it depends on nothing of ours, nor on Nest.
    files: ['libs/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@authmesh/*', '@nestjs/*', '**/apps/*', '**/libs/*'], message: 'libs/contracts imports nothing.' }] },
      ],
    },
  },
  {
    // End-to-end tests may boot several apps to cross real boundaries (tokens from auth, verified by orders).
    files: ['apps/*/test/**/*.ts', 'e2e/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Test helpers are for tests only; runtime code must not import them.
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@authmesh/testing', message: 'libs/testing is for tests only.' }],
          patterns: [
            { group: ['**/apps/*', '../../*/src/*', '../../../apps/**'], message: 'Apps never import from each other.' },
            {
              group: ['**/libs/*/src/**', '@authmesh/*/*', '!@authmesh/platform/core'],
              message: 'Import a lib through its @authmesh/<name> alias.',
            },
          ],
        },
      ],
    },
  },
);
