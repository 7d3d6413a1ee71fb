// An attempt's scratch directory: `<DJOBS_HOME>/scratch/<attempt>`, owned by the attempt's uid,
// mode 0700, with its HOME and TMPDIR inside and the files the worker hands it (task values in, an
// inline query). The only directory of DJOBS_HOME a sandboxed task sees; removed once the attempt
// has ended and the worker has read what the task left there (task values, notebook exit).
import fs from 'node:fs';
import path from 'node:path';
import type { Scratch } from './view';

/** Who owns the scratch directory: the attempt's uid, or the worker itself (no sandbox). */
export interface Owner {
  uid: number;
  gid: number;
}

export function createScratch(dataDir: string, name: string, owner?: Owner): Scratch {
  const root = path.join(dataDir, 'scratch');
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const dir = path.join(root, name);
  const scratch = { dir, home: path.join(dir, 'home'), tmp: path.join(dir, 'tmp') };
  for (const d of [scratch.dir, scratch.home, scratch.tmp]) {
    fs.mkdirSync(d, { mode: 0o700 });
    if (owner) fs.chownSync(d, owner.uid, owner.gid);
  }
  return scratch;
}

/** Write a file the task reads (or appends to) into its scratch directory. */
export function writeScratchFile(scratch: Scratch, name: string, content: string, owner?: Owner): string {
  const file = path.join(scratch.dir, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  if (owner) fs.chownSync(file, owner.uid, owner.gid);
  return file;
}

/** A fresh directory of the attempt's own inside its scratch directory (a dbt project's copy). */
export function scratchDir(scratch: Scratch, name: string, owner?: Owner): string {
  const dir = path.join(scratch.dir, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { mode: 0o700 });
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  return dir;
}

/** Remove the scratch directory, in the background: nothing waits for a large one to go. */
export function removeScratch(scratch: Scratch): void {
  fs.rm(scratch.dir, { recursive: true, force: true, maxRetries: 3 }, () => {});
}
