// Where a Databricks path lives: the workspace (`/Workspace/Users/…`, or `/Users/…` as the
// Workspace API writes it), a Unity Catalog volume (`/Volumes/<catalog>/<schema>/<volume>/…`),
// the DBFS root (`dbfs:/…`, `/dbfs/…`), S3 (`s3://bucket/key`) or the machine's own disk (`file:/…`
// and other absolute paths). Pure: the folders of the workspace root on disk are joined by the
// callers (workspace/tree.ts). A `..` segment is never accepted, so no Databricks path can name a
// file outside its area.

/** The areas of the workspace root, each a folder of it on disk. */
export const WorkspaceArea = { WORKSPACE: 'Workspace', VOLUMES: 'Volumes', DBFS: 'dbfs' } as const;
export type WorkspaceArea = (typeof WorkspaceArea)[keyof typeof WorkspaceArea];

/** A path in one area of the workspace root: its segments below the area's folder. */
export interface RootPath {
  kind: 'root';
  area: WorkspaceArea;
  segments: string[];
}
/** A path on the machine's own disk (absolute, normalised). */
export interface LocalPath {
  kind: 'local';
  path: string;
}
export interface S3Path {
  kind: 's3';
  bucket: string;
  key: string;
}
export type ResolvedPath = RootPath | LocalPath | S3Path;

export class PathProblem {
  constructor(readonly message: string) {}
}

/** Top-level folders of the workspace: a task path starting with one of them names a workspace object. */
export const WORKSPACE_TOP_FOLDERS = ['Users', 'Shared', 'Repos'] as const;

/** Segments of an absolute path; `.` and empty segments dropped; `..` refused. */
function segmentsOf(p: string, original: string): string[] | PathProblem {
  const out: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') return new PathProblem(`${original}: a path may not contain "..".`);
    if (s.includes('\0')) return new PathProblem(`${original}: a path may not contain a NUL character.`);
    out.push(s);
  }
  return out;
}

const rootPath = (area: WorkspaceArea, segments: string[]): RootPath => ({ kind: 'root', area, segments });

/** `/Workspace/…`, `/Users/…`, `/Shared/…`, `/Repos/…` as segments below the workspace folder, else undefined. */
function workspaceSegments(segments: string[]): string[] | undefined {
  if (segments[0] === 'Workspace') return segments.slice(1);
  if ((WORKSPACE_TOP_FOLDERS as readonly string[]).includes(segments[0] ?? '')) return segments;
  return undefined;
}

/** An absolute path of the Databricks file system view (the FUSE paths a driver sees). */
function absolutePath(p: string, original: string, dbfsDefault: boolean): ResolvedPath | PathProblem {
  const segments = segmentsOf(p, original);
  if (segments instanceof PathProblem) return segments;
  const ws = workspaceSegments(segments);
  if (ws) return rootPath(WorkspaceArea.WORKSPACE, ws);
  if (segments[0] === 'Volumes') return rootPath(WorkspaceArea.VOLUMES, segments.slice(1));
  if (segments[0] === 'dbfs') return dbfsPath(segments.slice(1));
  if (dbfsDefault) return dbfsPath(segments);
  return { kind: 'local', path: `/${segments.join('/')}` };
}

/** `dbfs:/Volumes/…` is the volume, as on Databricks. */
const dbfsPath = (segments: string[]): RootPath =>
  segments[0] === 'Volumes'
    ? rootPath(WorkspaceArea.VOLUMES, segments.slice(1))
    : rootPath(WorkspaceArea.DBFS, segments);

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s;

/**
 * A path as `dbutils.fs` and the DBFS API read it: no scheme means DBFS (`/tmp/x` is `dbfs:/tmp/x`)
 * except `/Volumes/…` and `/Workspace/…`; `file:` is the machine's disk (its `/Workspace`,
 * `/Volumes` and `/dbfs` folders are the workspace root's, as a Databricks driver's FUSE mounts
 * are); `s3://`, `s3a://` and `s3n://` are S3.
 */
export function fsPath(p: string): ResolvedPath | PathProblem {
  const m = SCHEME.exec(p);
  if (!m) {
    if (!p.startsWith('/')) return new PathProblem(`${p}: expected an absolute path.`);
    return absolutePath(p, p, true);
  }
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  switch (scheme) {
    case 'dbfs': {
      const segments = segmentsOf(rest, p);
      return segments instanceof PathProblem ? segments : dbfsPath(segments);
    }
    case 'file':
      return absolutePath(rest.replace(/^\/\/(?=\/)/, ''), p, false);
    case 's3':
    case 's3a':
    case 's3n': {
      const s3 = /^\/\/([^/]+)\/?(.*)$/s.exec(rest);
      if (!s3) return new PathProblem(`${p}: expected s3://bucket/key.`);
      if (s3[2]!.split('/').includes('..')) return new PathProblem(`${p}: a path may not contain "..".`);
      return { kind: 's3', bucket: s3[1]!, key: s3[2]! };
    }
    default:
      return new PathProblem(
        `${p}: the ${scheme}: scheme is not supported (dbfs:, file:, s3: and absolute paths are).`
      );
  }
}

/**
 * A path a task names (`notebook_path`, `python_file`, `sql_task.file.path`, a `%run` target):
 * workspace, volume and DBFS paths are in the workspace root; `file:` and other absolute paths
 * are on the machine's disk; relative paths are left to the caller (`undefined`).
 */
export function taskPath(p: string): ResolvedPath | PathProblem | undefined {
  const m = SCHEME.exec(p);
  if (m) return fsPath(p);
  if (!p.startsWith('/')) return undefined;
  return absolutePath(p, p, false);
}

/**
 * A path as the Workspace API writes it (`/Users/alice/etl`; `/Workspace/Users/alice/etl` is the
 * same object): the segments below the workspace folder.
 */
export function workspaceApiPath(p: unknown): string[] | PathProblem {
  if (typeof p !== 'string' || !p.startsWith('/'))
    return new PathProblem(`Invalid path ${JSON.stringify(p)}: expected an absolute workspace path.`);
  const segments = segmentsOf(p, p);
  if (segments instanceof PathProblem) return segments;
  return segments[0] === 'Workspace' ? segments.slice(1) : segments;
}

/** The Workspace API's spelling of a workspace object's path: `/Users/alice/etl`, `/` for the root. */
export const workspacePathText = (segments: readonly string[]): string => `/${segments.join('/')}`;

/** How a path is shown back to a task or client (`dbfs:/x`, `/Volumes/c/s/v/x`, `/Workspace/x`). */
export function displayPath(r: ResolvedPath): string {
  switch (r.kind) {
    case 'root':
      switch (r.area) {
        case WorkspaceArea.WORKSPACE:
          return `/Workspace/${r.segments.join('/')}`.replace(/\/$/, '');
        case WorkspaceArea.VOLUMES:
          return `/Volumes/${r.segments.join('/')}`.replace(/\/$/, '');
        case WorkspaceArea.DBFS:
          return `dbfs:/${r.segments.join('/')}`;
        default: {
          const never: never = r.area;
          return never;
        }
      }
    case 'local':
      return r.path;
    case 's3':
      return `s3://${r.bucket}/${r.key}`;
    default: {
      const never: never = r;
      return never;
    }
  }
}

/**
 * A stable 53-bit id of a workspace path (cyrb53): the Workspace API's `object_id`, which the
 * Permissions API takes back (`/permissions/directories/{id}`).
 */
export function objectIdOf(segments: readonly string[]): number {
  const text = workspacePathText(segments);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
