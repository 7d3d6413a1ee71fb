// `sync`: the bundle's files copied into the workspace under `${workspace.file_path}`, so deployed
// tasks run the deployed code, never the developer's checkout. What is synced follows the
// Databricks CLI (https://docs.databricks.com/dev-tools/bundles/settings#sync): every file under
// the `sync.paths` (default: the bundle's folder) that Git would not ignore (`.gitignore` files),
// plus what `sync.include` names, minus what `sync.exclude` names, never `.git` or `.databricks`.
// The workspace copy mirrors that set: changed files are written, files no longer in it removed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { PathProblem, taskPath, workspaceApiPath, type RootPath } from '../core';
import type { WorkspaceTree } from '../workspace/tree';

/** The files of the bundle to sync, relative to its folder (`/`-separated), sorted. */
export function filesToSync(root: string, sync: { paths: string[]; include: string[]; exclude: string[] }): string[] {
  const include = ignore().add(sync.include);
  const exclude = ignore().add(sync.exclude);
  const out = new Set<string>();
  const walk = (dir: string, ignores: { base: string; rules: Ignore }[]) => {
    const gi = path.join(dir, '.gitignore');
    const here = fs.existsSync(gi)
      ? [...ignores, { base: path.relative(root, dir), rules: ignore().add(fs.readFileSync(gi, 'utf8')) }]
      : ignores;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === '.git' || e.name === '.databricks') continue;
      const abs = path.join(dir, e.name);
      const rel = path.relative(root, abs).split(path.sep).join('/');
      const isDir =
        e.isDirectory() || (e.isSymbolicLink() && fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory());
      const probe = isDir ? `${rel}/` : rel;
      const gitIgnored = here.some(({ base, rules }) => {
        const sub = base ? path.relative(base, rel).split(path.sep).join('/') : rel;
        return !sub.startsWith('..') && rules.ignores(isDir ? `${sub}/` : sub);
      });
      if (isDir) {
        // An ignored folder is still walked when sync.include may bring files of it back.
        if (gitIgnored && sync.include.length === 0) continue;
        if (exclude.ignores(probe)) continue;
        walk(abs, here);
        continue;
      }
      if (!e.isFile() && !(e.isSymbolicLink() && fs.statSync(abs, { throwIfNoEntry: false })?.isFile())) continue;
      if (gitIgnored && !include.ignores(rel)) continue;
      if (exclude.ignores(rel)) continue;
      out.add(rel);
    }
  };
  for (const p of sync.paths) {
    const start = path.resolve(root, p);
    if (fs.statSync(start, { throwIfNoEntry: false })?.isDirectory()) walk(start, []);
  }
  return [...out].sort();
}

const digest = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** The segments below the workspace folder of a `/Workspace/…` path (or refused). */
export function workspaceSegments(p: string): string[] {
  const s = workspaceApiPath(p);
  if (s instanceof PathProblem) throw new Error(s.message);
  return s;
}

/**
 * Mirror `files` (relative to `root`) into the workspace folder `filePath`: write what changed,
 * delete what is no longer there. Notebooks keep their file names on disk, as in a Git folder.
 */
export function syncFiles(
  tree: WorkspaceTree,
  root: string,
  files: readonly string[],
  filePath: string
): { uploaded: number; deleted: number } {
  const base = workspaceSegments(filePath);
  const dir = tree.diskPath({ area: 'Workspace', segments: base });
  tree.mkdirs(base);
  let uploaded = 0;
  let deleted = 0;
  const wanted = new Set(files);
  for (const rel of files) {
    const local = path.join(root, rel);
    const remote = path.join(dir, rel);
    if (fs.existsSync(remote) && fs.statSync(remote).isFile() && digest(remote) === digest(local)) continue;
    fs.mkdirSync(path.dirname(remote), { recursive: true });
    const tmp = `${remote}.${process.pid}.${Date.now()}.tmp`;
    fs.copyFileSync(local, tmp);
    fs.renameSync(tmp, remote);
    uploaded++;
  }
  const prune = (d: string): boolean => {
    let empty = true;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, e.name);
      const rel = path.relative(dir, abs).split(path.sep).join('/');
      if (e.isDirectory()) {
        if (prune(abs)) fs.rmdirSync(abs);
        else empty = false;
      } else if (!wanted.has(rel)) {
        fs.rmSync(abs, { force: true });
        deleted++;
      } else empty = false;
    }
    return empty;
  };
  prune(dir);
  return { uploaded, deleted };
}

/** The place in the workspace root of a `/Workspace/…` or `/Volumes/…` path. */
export function workspaceRootPath(p: string): RootPath {
  const r = taskPath(p);
  if (r === undefined || r instanceof PathProblem || r.kind !== 'root')
    throw new Error(`${p}: expected a /Workspace or /Volumes path`);
  return r;
}

/** Write one local file to a workspace or volume path (an artifact): folders made, the file replaced whole. */
export function uploadFile(tree: WorkspaceTree, local: string, remotePath: string): void {
  const target = tree.diskPath(workspaceRootPath(remotePath));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  fs.copyFileSync(local, tmp);
  fs.renameSync(tmp, target);
}

/** Remove a workspace or volume folder and everything in it (destroy); false when there was none. */
export function removeFolder(tree: WorkspaceTree, folder: string): boolean {
  const dir = tree.diskPath(workspaceRootPath(folder));
  if (!fs.existsSync(dir)) return false;
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
}
