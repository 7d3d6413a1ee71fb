// Lint enforces the architecture (ARCHITECTURE.md): every layer imports only the layers below it,
// core/ and workflows/ stay deterministic (no Node built-ins, no I/O modules), activities are
// imported by workflows as types only, there are no import cycles, and promises are never dropped.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
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

/** A relative import of one of these top-level folders, from any depth inside another one. */
const anyOf = (...folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;
/** The layers a layer may not import (ARCHITECTURE.md's map: each imports only those below it). */
const layer = (files, banned, message, more = []) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: [...more, { regex: anyOf(...banned), message }] }],
  },
});
/** Node's globals in the CommonJS runtime files. */
const nodeGlobals = Object.fromEntries(
  [
    'require',
    'module',
    'exports',
    '__dirname',
    '__filename',
    'process',
    'console',
    'Buffer',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'URL',
    'fetch',
  ].map((g) => [g, 'readonly'])
);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/*.mjs', '.djobs/**', '.tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.cjs', '.js'],
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.cjs', '.json'] })],
    },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
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
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins,
          patterns: [
            { group: ['node:*', '@temporalio/*'], message: 'core/ is pure: it may import zod only.' },
            {
              regex: anyOf(
                'workflows',
                'activities',
                'worker',
                'client',
                'api',
                'cli',
                'config',
                'stores',
                'notifications',
                'workspace',
                'bundles'
              ),
              message: 'core/ is pure: it may import zod only.',
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
              regex: anyOf('client', 'cli', 'worker', 'config', 'api', 'bundles'),
              message: 'workflows/ may import core/ and activity types only.',
            },
            {
              regex: anyOf('activities'),
              allowTypeImports: true,
              message: 'import activities with `import type` only.',
            },
            {
              regex: '^(\\.\\./)+core(/index)?$',
              message:
                'workflows/ import core/model.ts: core/index.ts also builds the zod schemas, once per workflow execution.',
            },
          ],
        },
      ],
    },
  },
  layer(
    ['activities/**/*.ts'],
    ['worker', 'client', 'api', 'cli', 'bundles'],
    'activities/ may import core/, config/ and workflow types only.',
    [
      {
        regex: '^(\\.\\./)+workflows/(?!(definitions|search-attributes)$)',
        allowTypeImports: true,
        message:
          'activities/ import workflow messages (workflows/definitions.ts, search attributes) and workflow types only.',
      },
    ]
  ),
  layer(
    ['worker/**/*.ts'],
    ['client', 'api', 'cli', 'bundles'],
    'worker/ may import core/, workflows/, activities/ and config/ only.'
  ),
  layer(
    ['client/**/*.ts'],
    ['activities', 'worker', 'api', 'cli', 'config', 'workspace', 'bundles'],
    'client/ may import core/ and the messages of workflows/ (definitions, search attributes) only.',
    [
      {
        regex: '^(\\.\\./)+workflows/(?!(definitions|search-attributes)$)',
        message: 'client/ takes workflow types and messages from workflows/definitions.ts, never a workflow body.',
      },
    ]
  ),
  layer(
    ['stores/**/*.ts'],
    ['workflows', 'activities', 'worker', 'client', 'api', 'cli', 'notifications', 'bundles'],
    'stores/ may import core/, config/ and encryption/ only.'
  ),
  layer(
    ['notifications/**/*.ts'],
    ['workflows', 'activities', 'worker', 'client', 'api', 'cli', 'bundles'],
    'notifications/ (the senders) may import core/, config/, stores/ and encryption/ only.'
  ),
  layer(
    ['workspace/**/*.ts'],
    ['workflows', 'activities', 'worker', 'client', 'api', 'cli', 'stores', 'notifications', 'bundles'],
    'workspace/ (the workspace root on disk) may import core/ and config/ only.'
  ),
  layer(
    ['bundles/**/*.ts'],
    ['workflows', 'activities', 'worker', 'api', 'cli', 'stores', 'notifications'],
    'bundles/ (Databricks Asset Bundles) may import core/, config/, workspace/ and client/ only.'
  ),
  layer(
    ['config/**/*.ts'],
    ['workflows', 'activities', 'worker', 'client', 'api', 'cli', 'stores', 'notifications', 'bundles'],
    'config/ may import core/ only.'
  ),
  layer(
    ['api/**/*.ts'],
    ['workflows', 'activities', 'worker', 'cli', 'bundles'],
    'api/ goes through client/ (and core/, config/) only.'
  ),
  layer(['cli/**/*.ts'], ['workflows', 'activities'], 'cli/ goes through client/, api/, worker/ and config/ only.'),
  {
    // The CommonJS runtime files (bin, task runtimes, scripts) are linted too, without type information.
    files: ['**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: nodeGlobals,
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
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
