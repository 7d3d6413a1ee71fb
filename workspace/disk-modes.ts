// The workspace tree (Workspace, Volumes, DBFS) is read and written by sandboxed tasks under their
// principals' uids, through views that show each only what it may use: its folders are 0755 and
// its files 0644 on disk whatever the umask of the process writing them (077 in `djobs api`,
// `djobs dev` and `djobs worker`, as DJOBS_HOME is private; DJOBS_HOME itself stays 0700).
import fs from 'node:fs';
import path from 'node:path';

export const FOLDER_MODE = 0o755;
export const FILE_MODE = 0o644;

/** `mkdir -p dir`, every folder it creates made FOLDER_MODE. */
export function mkdirShared(dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    fs.chmodSync(d, FOLDER_MODE);
    if (d === path.resolve(first) || d === path.dirname(d)) break;
  }
}

/** A file just written, made FILE_MODE (before it is renamed into place). */
export function shareFile(file: string): void {
  fs.chmodSync(file, FILE_MODE);
}
