// Lint enforces the architecture: spec/ and workflows/ must stay deterministic (no Node built-ins,
// no I/O modules), activities are imported by workflows as types only, and promises are never dropped.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs',
  'fs/promises',
  'path',
  'os',
  'child_process',
  'crypto',
  'http',
  'https',
  'net',
  'process',
  'util',
  'events',
  'stream',
  'timers',
  'worker_threads',
  'url',
  'dns',
  'zlib',
  'readline',
  'tty',
  'cluster',
  'module',
  'vm',
];
const nodePatterns = ['node:*', ...nodeBuiltins];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/*.cjs', '**/*.mjs', '.djobs/**', '.tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      eqeqeq: ['error', 'smart'],
      // Activities and interface implementations are async by contract even when they need no await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['spec/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins,
          patterns: [
            {
              group: ['node:*', '@temporalio/*', '../workflows/*', '../activities/*', '../client/*'],
              message: 'spec/ is pure: it may import zod only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins,
          patterns: [
            { group: ['node:*'], message: 'workflows/ is deterministic: no Node built-ins.' },
            {
              group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'],
              message: 'workflows/ may import @temporalio/workflow only.',
            },
            {
              group: ['../client/*', '../cli/*', '../worker/*', '../config/*'],
              message: 'workflows/ may import spec/ and activity types only.',
            },
            {
              group: ['../activities/*'],
              allowTypeImports: true,
              message: 'import activities with `import type` only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  }
);
