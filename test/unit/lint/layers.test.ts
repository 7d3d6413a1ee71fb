// The import allow table (LAYERS in eslint.config.mjs) at work: lint refuses an import that goes
// the wrong way between two folders, an internal module of client/ from api/, cli/ or bundles/, and any file
// in a folder the table does not list; and ARCHITECTURE.md's table says what the lint enforces.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');

interface LintConfig {
  LAYERS: Record<string, string[]>;
  layerConfigs: Linter.Config[];
}

let config: LintConfig;
let eslint: ESLint;

beforeAll(async () => {
  config = (await import(pathToFileURL(path.join(root, 'eslint.config.mjs')).href)) as LintConfig;
  // The allow table's own configuration, without the type-aware rules (they need files on disk).
  eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.{ts,tsx}'], languageOptions: { parser: tseslint.parser } },
      ...config.layerConfigs,
    ],
  });
});

/** The messages lint gives `code` as if it were the file `file` of the repository. */
async function lint(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the import allow table', () => {
  it.each([
    ['encryption/probe.ts', "import { ApiError } from '../api/errors';"],
    ['core/probe.ts', "import { parseArgs } from '../bench/args';"],
    ['workflows/probe.ts', "import { SecretScopes } from '../stores/secret-scopes';"],
    ['ui/src/probe.ts', "import { DjobsError } from '../../client/errors';"],
    ['config/probe.ts', "import { startDevServer } from '../servers/dev-server';"],
    ['activities/probe.ts', "import { DurableJobsClient } from '../client';"],
  ])('refuses %s: %s', async (file, code) => {
    const folder = file.split('/')[0]!;
    const messages = await lint(file, `${code}\nexport const probe = 1;\n`);
    expect(messages).toEqual([
      `import-x/no-restricted-paths: Unexpected path "${/'(.+)'/.exec(code)![1]}" imported in restricted zone. ${folder}/ may import ${config.LAYERS[folder]!.map((f) => `${f}/`).join(', ') || 'no other folder'} (LAYERS in eslint.config.mjs).`,
    ]);
  });

  it('refuses every arrow the table does not list, between any two folders', async () => {
    const folders = Object.keys(config.LAYERS).filter((f) => f !== 'dist');
    const refusedNot: string[] = [];
    for (const from of folders) {
      const probe = from === 'ui' ? 'ui/src/probe.ts' : `${from}/probe.ts`;
      for (const to of folders) {
        if (to === from || config.LAYERS[from]!.includes(to)) continue;
        const target = firstLintedFile(path.join(root, to))!;
        let spec = path.relative(path.dirname(path.join(root, probe)), target).replace(/\.(ts|tsx)$/, '');
        if (!spec.startsWith('.')) spec = `./${spec}`;
        const messages = await lint(probe, `import * as probe from '${spec}';\nexport { probe };\n`);
        if (!messages.some((m) => m.includes(`${from}/ may import`))) refusedNot.push(`${from} -> ${to}`);
      }
    }
    expect(refusedNot).toEqual([]);
  });

  it('lets api/, cli/ and bundles/ into client/ by its door only', async () => {
    expect(await lint('api/probe.ts', "import { DurableJobsClient } from '../client';\n")).toEqual([]);
    expect(await lint('cli/probe.ts', "import { DurableJobsClient } from '../client/index';\n")).toEqual([]);
    const inside = await lint('api/probe.ts', "import { RunReads } from '../client/run-reads';\n");
    expect(inside).toEqual([
      expect.stringContaining('api/, cli/ and bundles/ go through the client’s door, client/index.ts, only.'),
    ]);
    expect(await lint('bundles/probe.ts', "import { DurableJobsClient } from '../client';\n")).toEqual([]);
    const temporalSide = await lint('bundles/probe.ts', "import { temporalClientOf } from '../client/jobs-client';\n");
    expect(temporalSide).toEqual([
      expect.stringContaining('api/, cli/ and bundles/ go through the client’s door, client/index.ts, only.'),
    ]);
    const store = await lint('cli/probe.ts', "import { SecretScopes } from '../stores/secret-scopes';\n");
    expect(store).toEqual([expect.stringContaining('cli/ may import client/, api/')]);
  });

  it('allows the arrows the table lists', async () => {
    expect(await lint('workflows/probe.ts', "import { runWorkflowId } from '../core/model';\n")).toEqual([]);
    expect(
      await lint(
        'notifications/probe.ts',
        "import { NotificationDestinationStore } from '../stores/notification-destinations';\n"
      )
    ).toEqual([]);
    expect(await lint('servers/probe.ts', "import { dataPaths } from '../config';\n")).toEqual([]);
  });

  it('refuses every file of a folder the table does not list', async () => {
    const messages = await lint('newfolder/probe.ts', 'export const probe = 1;\n');
    expect(messages).toEqual([expect.stringContaining('This folder is not in LAYERS (eslint.config.mjs)')]);
  });

  it('names only folders of the repository, and every one with linted files', () => {
    const folders = Object.keys(config.LAYERS);
    for (const [folder, allowed] of Object.entries(config.LAYERS)) {
      for (const f of allowed) expect(folders, `${folder}/ may import ${f}/`).toContain(f);
      expect(allowed, folder).not.toContain(folder);
    }
    const linted = fs
      .readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules' && d.name !== 'dist')
      .map((d) => d.name)
      .filter((d) => hasLintedFile(path.join(root, d)));
    expect(folders).toEqual(expect.arrayContaining(linted));
  });
});

describe("ARCHITECTURE.md's map", () => {
  it('lists every folder of the table with exactly the folders it may import', () => {
    const text = fs.readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8');
    const rows = new Map<string, string[]>();
    for (const line of text.split('\n')) {
      const m = /^\| `([a-z-]+)\/` \| ([^|]*) \|/.exec(line);
      if (!m) continue;
      const allowed = m[2]!.trim() === '—' ? [] : [...m[2]!.matchAll(/`([a-z-]+)\/`/g)].map((x) => x[1]!);
      rows.set(m[1]!, allowed);
    }
    expect([...rows.keys()].sort()).toEqual(Object.keys(config.LAYERS).sort());
    for (const [folder, allowed] of rows) expect(allowed.sort(), folder).toEqual([...config.LAYERS[folder]!].sort());
  });
});

/** A file lint checks in `dir` or below (the first by name), if there is one. */
function firstLintedFile(dir: string): string | undefined {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = entry.name === 'node_modules' ? undefined : firstLintedFile(full);
      if (found) return found;
    } else if (/\.(ts|tsx|mts|cts|cjs)$/.test(entry.name)) return full;
  }
  return undefined;
}

const hasLintedFile = (dir: string) => firstLintedFile(dir) !== undefined;
