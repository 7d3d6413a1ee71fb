// A bundle as every `djobs bundle` command sees it: loaded from its folder, resolved for one
// target and the deploying user, with the local file system answering what its paths name.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BundleError, hasErrors, type Diagnostic } from '../core/bundle/diagnostics';
import type { LocalKind } from '../core/bundle/job-paths';
import { resolveBundle, type DeployOverrides, type ResolvedBundle } from '../core/bundle/resolve';
import { currentUserOf } from '../core/bundle/workspace-paths';
import { findBundleRoot, loadBundle } from './load';

export interface ReadOptions {
  /** Where the command runs; the bundle is found from here upwards. */
  cwd: string;
  /** `-t`; else DATABRICKS_BUNDLE_TARGET, else the bundle's default target. */
  target?: string;
  /** `--var name=value`, parsed. */
  vars: Record<string, string>;
  /** The deploying principal's user name (`${workspace.current_user.userName}`). */
  userName: string;
  env?: NodeJS.ProcessEnv;
  /** `bundle deploy`'s flags that set configuration. */
  overrides?: DeployOverrides;
}

/** Whether a local file is a notebook as Databricks detects one: a `.ipynb`, or a source file with its header. */
export function localKind(file: string): LocalKind {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st) return undefined;
  if (st.isDirectory()) return 'directory';
  const lower = file.toLowerCase();
  if (lower.endsWith('.ipynb')) return 'notebook';
  const header: Record<string, string> = {
    '.py': '# Databricks notebook source',
    '.sql': '-- Databricks notebook source',
    '.scala': '// Databricks notebook source',
    '.r': '# Databricks notebook source',
  };
  const h = header[path.extname(lower)];
  if (h) {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(64);
      const n = fs.readSync(fd, buf, 0, 64, 0);
      if (buf.subarray(0, n).toString('utf8').split('\n', 1)[0]!.trim() === h) return 'notebook';
    } finally {
      fs.closeSync(fd);
    }
  }
  return 'file';
}

/** The checkout's branch, commit and origin, when the bundle is in a Git repository. */
function gitFacts(root: string): { branch?: string; commit?: string; origin_url?: string } {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', ['-C', root, ...args], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
        .toString()
        .trim();
    } catch {
      return undefined;
    }
  };
  if (git('rev-parse', '--is-inside-work-tree') !== 'true') return {};
  const branch = git('rev-parse', '--abbrev-ref', 'HEAD');
  const commit = git('rev-parse', 'HEAD');
  const origin = git('config', '--get', 'remote.origin.url');
  return { ...(branch ? { branch } : {}), ...(commit ? { commit } : {}), ...(origin ? { origin_url: origin } : {}) };
}

function variableFile(root: string, target: string): Record<string, unknown> | undefined {
  const file = path.join(root, '.databricks', 'bundle', target, 'variable-overrides.json');
  if (!fs.existsSync(file)) return undefined;
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new BundleError([
      {
        severity: 'error',
        summary: `failed to parse variables file ${file}: invalid format, expected a JSON object of name → value`,
        paths: [],
        locations: [],
      },
    ]);
  return parsed as Record<string, unknown>;
}

/** The bundle resolved for a target, and its warnings; a BundleError with every problem otherwise. */
export function readBundle(o: ReadOptions): { bundle: ResolvedBundle; root: string; warnings: Diagnostic[] } {
  const env = o.env ?? process.env;
  const root = findBundleRoot(o.cwd, env);
  if (!root)
    throw new BundleError([
      {
        severity: 'error',
        summary: `unable to locate bundle root: databricks.yml not found in ${o.cwd} or any folder above it`,
        paths: [],
        locations: [],
      },
    ]);
  const loaded = loadBundle(root);
  // Problems of the files (a duplicate key) do not stop the rest being checked: all come at once.
  if (!loaded.config) throw new BundleError(loaded.diagnostics);
  // Without -t, the target the environment names, as the Databricks CLI reads it (the second name is its older one).
  const target = o.target ?? (env.DATABRICKS_BUNDLE_TARGET || env.DATABRICKS_BUNDLE_ENV || undefined);
  const resolved = resolveBundle({
    root: loaded.config,
    ...(target !== undefined ? { target } : {}),
    variables: { cli: o.vars, env },
    variableFile: (target) => variableFile(root, target),
    user: currentUserOf(o.userName),
    files: { root, kindOf: localKind },
    git: gitFacts(root),
    ...(o.overrides ? { overrides: o.overrides } : {}),
  });
  const diagnostics = [...loaded.diagnostics, ...resolved.diagnostics];
  if (!resolved.bundle || hasErrors(diagnostics)) throw new BundleError(diagnostics);
  return { bundle: resolved.bundle, root, warnings: diagnostics };
}
