// Lint enforces the architecture (ARCHITECTURE.md): each folder imports only the folders its row
// of LAYERS allows, core/ and workflows/ stay deterministic (no Node built-ins, no I/O modules),
// activities are imported by workflows as types only, there are no import cycles, and promises
// are never dropped.
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

/**
 * What each top-level folder may import: every other arrow between two folders is a lint error,
 * and so is a linted file in a folder this table does not list, so a new folder or a new arrow
 * is a decision made here. ARCHITECTURE.md's table says the same (test/unit/lint/layers.test.ts
 * checks both, and lints wrong-way imports). Finer rules (which modules of a folder, type-only
 * imports, packages) follow below.
 */
export const LAYERS = {
  core: [],
  workflows: ['core', 'activities'],
  activities: ['core', 'workflows', 'config', 'stores', 'notifications', 'encryption', 'mlflow', 'workspace'],
  worker: ['core', 'workflows', 'activities', 'config', 'encryption'],
  client: ['core', 'workflows', 'stores', 'encryption'],
  api: ['client', 'core', 'config', 'workspace'],
  cli: ['client', 'api', 'worker', 'bundles', 'core', 'config', 'servers', 'encryption', 'mlflow'],
  ui: ['core'],
  config: ['core'],
  servers: ['config'],
  stores: ['core', 'encryption'],
  notifications: ['core', 'config', 'stores'],
  workspace: ['core'],
  bundles: ['client', 'core', 'config', 'workspace'],
  encryption: [],
  mlflow: [],
  examples: ['client', 'config', 'encryption'],
  bin: ['dist'],
  // The build output (`npm run build`): not linted; only bin/ runs it.
  dist: [],
  scripts: ['core', 'workflows', 'worker', 'client', 'config', 'servers'],
  bench: ['core', 'workflows', 'activities', 'worker', 'client', 'api', 'config', 'servers', 'encryption', 'scripts'],
  test: [
    'core',
    'workflows',
    'activities',
    'worker',
    'client',
    'api',
    'cli',
    'ui',
    'config',
    'servers',
    'stores',
    'notifications',
    'encryption',
    'mlflow',
    'workspace',
    'bundles',
    'examples',
    'scripts',
    'bench',
  ],
};

const FOLDERS = Object.keys(LAYERS);
const mayImport = (folder) =>
  `${folder}/ may import ${LAYERS[folder].map((f) => `${f}/`).join(', ') || 'no other folder'} (LAYERS in eslint.config.mjs).`;

/** `import-x/no-restricted-paths` zones: for each folder, every listed folder it may not import, and any unlisted one. */
const layerZones = [
  ...FOLDERS.flatMap((folder) => {
    const denied = FOLDERS.filter((f) => f !== folder && !LAYERS[folder].includes(f));
    return [
      ...(denied.length > 0
        ? [{ target: `./${folder}`, from: denied.map((f) => `./${f}`), message: mayImport(folder) }]
        : []),
      {
        target: `./${folder}`,
        from: [`./!(${[...FOLDERS, 'node_modules'].join('|')})/**`],
        message: `a folder not in LAYERS (eslint.config.mjs). ${mayImport(folder)}`,
      },
    ];
  }),
  {
    target: ['./api', './cli', './bundles'],
    from: './client',
    except: ['./index.ts'],
    message: 'api/, cli/ and bundles/ go through the client’s door, client/index.ts, only.',
  },
];

/** The allow table as lint configuration (exported for test/unit/lint/layers.test.ts). */
export const layerConfigs = [
  {
    files: ['**/*.{ts,tsx,mts,cts,cjs}'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.cjs', '.js'],
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.cjs', '.json'] })],
    },
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }] },
  },
  {
    files: ['**/*.{ts,tsx,mts,cts,cjs}'],
    ignores: ['*', ...FOLDERS.map((f) => `${f}/**`)],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Program',
          message:
            'This folder is not in LAYERS (eslint.config.mjs): add it with what it may import, and its row in ARCHITECTURE.md.',
        },
      ],
    },
  },
];

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
  ...layerConfigs,
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins,
          patterns: [{ group: ['node:*', '@temporalio/*'], message: 'core/ is pure: it may import zod only.' }],
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
              regex: '^(\\.\\./)+activities(/|$)',
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
  {
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+workflows/(?!(definitions|search-attributes)$)',
              allowTypeImports: true,
              message:
                'activities/ import workflow messages (workflows/definitions.ts, search attributes) and workflow types only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+workflows/(?!(definitions|search-attributes)$)',
              message:
                'client/ takes workflow types and messages from workflows/definitions.ts, never a workflow body.',
            },
          ],
        },
      ],
    },
  },
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
