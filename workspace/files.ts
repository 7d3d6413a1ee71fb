// Files of the DBFS root and of volumes on disk (the workspace root's `dbfs/` and `Volumes/`), for
// the DBFS API and the Files API: status, listing, reading, writing (through a temporary file, so
// a reader never sees half a file), folders, delete and move. Paths come in as the APIs write them
// and are checked (core/workspace/paths.ts) before they touch the disk.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { PathProblem, WorkspaceArea, displayPath, fsPath, type RootPath } from '../core';
import { DjobsError, ErrorCode } from '../core/errors';
import type { WorkspaceTree } from './tree';
import { mkdirShared, shareFile } from './disk-modes';

/** A file or folder of the DBFS root or a volume. */
export interface RootFile {
  /** As clients write it: `dbfs:/x`, `/Volumes/c/s/v/x`. */
  display: string;
  /** The file or folder on disk. */
  disk: string;
  root: RootPath;
}

export interface FileStatus {
  path: string;
  isDir: boolean;
  size: number;
  modifiedMs: number;
}

const invalid = (message: string) => new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, message);
export const noSuchFile = (p: string) =>
  new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `No file or directory exists on path ${p}.`);

export class RootFiles {
  constructor(private readonly tree: WorkspaceTree) {}

  /** A DBFS (`dbfs:/x`, `/x`) or volume (`/Volumes/c/s/v/x`) path; `areas` says which are accepted. */
  resolve(p: unknown, areas: readonly WorkspaceArea[], field = 'path'): RootFile {
    if (typeof p !== 'string' || p === '') throw invalid(`Missing required field: ${field}`);
    const r = fsPath(p);
    if (r instanceof PathProblem) throw invalid(r.message);
    if (r.kind !== 'root' || !areas.includes(r.area))
      throw invalid(
        `${p}: expected a ${areas.map((a) => (a === WorkspaceArea.DBFS ? 'dbfs:/' : `/${a}/`)).join(' or ')} path.`
      );
    if (r.area === WorkspaceArea.VOLUMES && r.segments.length < 3 && r.segments.length > 0)
      throw invalid(`${p}: a volume path is /Volumes/<catalog>/<schema>/<volume>/...`);
    this.tree.areaDir(r.area);
    return { display: displayPath(r), disk: this.tree.diskPath(r), root: r };
  }

  status(f: RootFile): FileStatus | undefined {
    const st = fs.statSync(f.disk, { throwIfNoEntry: false });
    if (!st || (!st.isFile() && !st.isDirectory())) return undefined;
    return {
      path: f.display,
      isDir: st.isDirectory(),
      size: st.isFile() ? st.size : 0,
      modifiedMs: Math.trunc(st.mtimeMs),
    };
  }

  /** A folder's entries (a file lists itself), sorted by name. */
  list(f: RootFile): FileStatus[] {
    const st = this.status(f);
    if (!st) throw noSuchFile(f.display);
    if (!st.isDir) return [st];
    return fs
      .readdirSync(f.disk)
      .sort()
      .map((name) => this.status(this.child(f, name)))
      .filter((s) => s !== undefined);
  }

  child(f: RootFile, name: string): RootFile {
    const root = { ...f.root, segments: [...f.root.segments, name] };
    return { display: displayPath(root), disk: path.join(f.disk, name), root };
  }

  mkdirs(f: RootFile): void {
    const st = this.status(f);
    if (st && !st.isDir) throw new DjobsError(ErrorCode.RESOURCE_ALREADY_EXISTS, `A file exists at ${f.display}.`);
    mkdirShared(f.disk);
  }

  /** Writes a file from a stream or bytes, creating its folders; refused over a folder, or a file without `overwrite`. */
  async write(f: RootFile, content: Readable | Buffer, overwrite: boolean): Promise<void> {
    const st = this.status(f);
    if (st?.isDir) throw new DjobsError(ErrorCode.RESOURCE_ALREADY_EXISTS, `${f.display} is a directory.`);
    if (st && !overwrite)
      throw new DjobsError(
        ErrorCode.RESOURCE_ALREADY_EXISTS,
        `A file or directory already exists at the input path ${f.display}.`
      );
    mkdirShared(path.dirname(f.disk));
    // A dot file while it is written: file-arrival triggers leave dot files alone.
    const tmp = path.join(path.dirname(f.disk), `.${path.basename(f.disk)}.${process.pid}.${Date.now()}.part`);
    try {
      if (Buffer.isBuffer(content)) fs.writeFileSync(tmp, content);
      else await pipeline(content, fs.createWriteStream(tmp));
      shareFile(tmp);
      fs.renameSync(tmp, f.disk);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Bytes of a file from `offset`, at most `length`. */
  read(f: RootFile, offset: number, length: number): Buffer {
    const st = this.status(f);
    if (!st) throw noSuchFile(f.display);
    if (st.isDir) throw invalid(`${f.display} is a directory.`);
    const fd = fs.openSync(f.disk, 'r');
    try {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, st.size - offset)));
      const n = buf.length > 0 ? fs.readSync(fd, buf, 0, buf.length, offset) : 0;
      return buf.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Deletes a file, or a folder (non-empty only with `recursive`; else `notEmpty`, the code the
   * API answers with); a missing path is no error (DBFS).
   */
  delete(f: RootFile, recursive: boolean, notEmpty: ErrorCode = ErrorCode.DIRECTORY_NOT_EMPTY): boolean {
    const st = this.status(f);
    if (!st) return false;
    if (f.root.segments.length === 0) throw invalid(`Cannot delete the root ${f.display}.`);
    if (st.isDir && !recursive && fs.readdirSync(f.disk).length > 0)
      throw new DjobsError(notEmpty, `Directory ${f.display} is not empty: delete it with recursive.`);
    fs.rmSync(f.disk, { recursive: true, force: true });
    return true;
  }

  move(from: RootFile, to: RootFile): void {
    if (!this.status(from)) throw noSuchFile(from.display);
    if (this.status(to))
      throw new DjobsError(ErrorCode.RESOURCE_ALREADY_EXISTS, `A file or directory already exists at ${to.display}.`);
    mkdirShared(path.dirname(to.disk));
    fs.renameSync(from.disk, to.disk);
  }
}
