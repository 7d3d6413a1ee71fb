// The workspace root on disk: one tree for every worker and the API (DJOBS_WORKSPACE_ROOT, by
// default `$DJOBS_HOME/workspace`), with a folder per area: `Workspace/` (notebooks, files and
// folders of the Workspace API, `/Workspace/...` for tasks), `Volumes/` (`/Volumes/<catalog>/
// <schema>/<volume>/...`) and `dbfs/` (`dbfs:/...`). Notebooks are kept as Databricks keeps them
// in a Git folder (core/workspace/notebooks.ts): `etl.py` with the source header is the notebook
// `etl`. This module reads and writes workspace objects; permissions are the caller's.
import fs from 'node:fs';
import path from 'node:path';
import {
  NOTEBOOK_FILE_EXTENSIONS,
  LANGUAGES,
  NotebookLanguage,
  WorkspaceArea,
  isNotebookLanguage,
  jupyterCells,
  jupyterLanguage,
  objectIdOf,
  sourceCells,
  sourceHeader,
  sourceNotebookLanguage,
  toJupyter,
  toSource,
  workspacePathText,
  type RootPath,
} from '../core';
import { DjobsError, ErrorCode } from '../core/errors';
import { mkdirShared, shareFile } from './disk-modes';

export const ObjectType = { NOTEBOOK: 'NOTEBOOK', DIRECTORY: 'DIRECTORY', FILE: 'FILE' } as const;
export type ObjectType = (typeof ObjectType)[keyof typeof ObjectType];

/** The Workspace API's ObjectInfo. */
export interface ObjectInfo {
  path: string;
  object_type: ObjectType;
  object_id: number;
  resource_id: string;
  language?: NotebookLanguage;
  size?: number;
  created_at?: number;
  modified_at?: number;
}

/** A workspace object and the file or folder that holds it. */
export interface WorkspaceObject {
  info: ObjectInfo;
  segments: string[];
  /** The file (a notebook's source or .ipynb, a workspace file) or folder on disk. */
  file: string;
  /** A notebook's format on disk. */
  format?: 'SOURCE' | 'JUPYTER';
}

export const ImportFormats = ['SOURCE', 'JUPYTER', 'AUTO', 'RAW', 'HTML', 'DBC', 'R_MARKDOWN'] as const;
export type ImportFormat = (typeof ImportFormats)[number];
const UNSUPPORTED_FORMATS: readonly string[] = ['HTML', 'DBC', 'R_MARKDOWN'];

const notFound = (p: string) => new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `Path (${p}) doesn't exist.`);
const invalid = (message: string) => new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, message);

/** The first line of a file (at most 200 bytes read). */
function firstLine(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(200);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split('\n', 1)[0] ?? '';
  } finally {
    fs.closeSync(fd);
  }
}

/** What a file on disk is in the workspace: a notebook (with its language and format) or a file. */
export function notebookOnDisk(file: string): { language: NotebookLanguage; format: 'SOURCE' | 'JUPYTER' } | undefined {
  if (file.toLowerCase().endsWith('.ipynb')) {
    try {
      return { language: jupyterLanguage(JSON.parse(fs.readFileSync(file, 'utf8'))), format: 'JUPYTER' };
    } catch {
      return undefined;
    }
  }
  if (!NOTEBOOK_FILE_EXTENSIONS.some((e) => file.toLowerCase().endsWith(e))) return undefined;
  const language = sourceNotebookLanguage(path.basename(file), firstLine(file));
  return language ? { language, format: 'SOURCE' } : undefined;
}

export const stripNotebookExtension = (name: string): string => {
  const ext = NOTEBOOK_FILE_EXTENSIONS.find((e) => name.toLowerCase().endsWith(e));
  return ext ? name.slice(0, -ext.length) : name;
};

export class WorkspaceTree {
  constructor(readonly root: string) {}

  /** The folder or file on disk of a path in one of the root's areas. */
  diskPath(r: Pick<RootPath, 'area' | 'segments'>): string {
    return path.join(this.root, r.area, ...r.segments);
  }

  /** The folder of an area, created on first use. */
  areaDir(area: WorkspaceArea): string {
    const dir = path.join(this.root, area);
    mkdirShared(dir);
    return dir;
  }

  private wsDisk(segments: readonly string[]): string {
    return path.join(this.areaDir(WorkspaceArea.WORKSPACE), ...segments);
  }

  /** The workspace object at a path (`/Users/alice/etl`), or undefined. */
  find(segments: readonly string[]): WorkspaceObject | undefined {
    const disk = this.wsDisk(segments);
    const st = fs.statSync(disk, { throwIfNoEntry: false });
    if (st?.isDirectory()) return this.objectOf([...segments], disk, st);
    if (segments.length === 0) return undefined;
    for (const ext of NOTEBOOK_FILE_EXTENSIONS) {
      const file = disk + ext;
      const nst = fs.statSync(file, { throwIfNoEntry: false });
      if (nst?.isFile() && notebookOnDisk(file)) return this.objectOf([...segments], file, nst);
    }
    if (st?.isFile()) return this.objectOf([...segments], disk, st);
    return undefined;
  }

  private objectOf(segments: string[], file: string, st: fs.Stats): WorkspaceObject {
    const base = {
      path: workspacePathText(segments),
      object_id: objectIdOf(segments),
      resource_id: String(objectIdOf(segments)),
      created_at: Math.trunc(st.birthtimeMs || st.ctimeMs),
      modified_at: Math.trunc(st.mtimeMs),
    };
    if (st.isDirectory()) return { info: { ...base, object_type: ObjectType.DIRECTORY }, segments, file };
    const notebook = notebookOnDisk(file);
    if (notebook)
      return {
        info: { ...base, object_type: ObjectType.NOTEBOOK, language: notebook.language },
        segments,
        file,
        format: notebook.format,
      };
    return { info: { ...base, object_type: ObjectType.FILE, size: st.size }, segments, file };
  }

  /** The objects in a folder, sorted by path. */
  list(segments: readonly string[]): WorkspaceObject[] {
    const dir = this.find(segments);
    if (!dir) throw notFound(workspacePathText(segments));
    if (dir.info.object_type !== ObjectType.DIRECTORY) return [dir];
    const out: WorkspaceObject[] = [];
    for (const e of fs.readdirSync(dir.file, { withFileTypes: true })) {
      const file = path.join(dir.file, e.name);
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (!st || (!st.isFile() && !st.isDirectory())) continue;
      const name = st.isFile() && notebookOnDisk(file) ? stripNotebookExtension(e.name) : e.name;
      out.push(this.objectOf([...segments, name], file, st));
    }
    return out.sort((a, b) => (a.info.path < b.info.path ? -1 : 1));
  }

  /** Creates a folder and its parents; refused when a notebook or file is in the way. */
  mkdirs(segments: readonly string[]): void {
    for (let n = 1; n <= segments.length; n++) {
      const found = this.find(segments.slice(0, n));
      if (found && found.info.object_type !== ObjectType.DIRECTORY)
        throw new DjobsError(
          ErrorCode.RESOURCE_ALREADY_EXISTS,
          `Cannot create directory ${workspacePathText(segments)}: ${found.info.path} is a ${found.info.object_type.toLowerCase()}.`
        );
    }
    mkdirShared(this.wsDisk(segments));
  }

  /**
   * workspace/import: a notebook (SOURCE, JUPYTER, or AUTO for a file that is one) or a file (RAW,
   * AUTO otherwise). Returns the object's path (AUTO takes a notebook's extension off).
   */
  importObject(
    segments: readonly string[],
    o: { format: ImportFormat; language?: string; content: Buffer; overwrite: boolean }
  ): string[] {
    if (UNSUPPORTED_FORMATS.includes(o.format))
      throw invalid(`Import format ${o.format} is not supported by durable-jobs: use SOURCE, JUPYTER, AUTO or RAW.`);
    if (segments.length === 0) throw invalid('Cannot import to the workspace root.');
    const name = segments[segments.length - 1]!;
    const text = o.content.toString('utf8');
    let target = [...segments];
    let write: { file: string; content: Buffer };
    const notebookSource = (language: NotebookLanguage) => {
      const header = sourceHeader(language);
      const body = text.split('\n', 1)[0]?.trim() === header ? text : `${header}\n${text}`;
      return { file: this.wsDisk(target) + LANGUAGES[language].extension, content: Buffer.from(body) };
    };
    const jupyter = () => {
      try {
        JSON.parse(text);
      } catch {
        throw invalid(`The content of ${workspacePathText(segments)} is not a Jupyter notebook (not JSON).`);
      }
      return { file: `${this.wsDisk(target)}.ipynb`, content: o.content };
    };
    const headerLanguage = (): NotebookLanguage | undefined =>
      (Object.keys(LANGUAGES) as NotebookLanguage[]).find(
        (l) =>
          text.split('\n', 1)[0]?.trim() === sourceHeader(l) &&
          (l !== NotebookLanguage.R || name.toLowerCase().endsWith('.r'))
      );
    switch (o.format) {
      case 'SOURCE': {
        const language = o.language !== undefined ? o.language : headerLanguage();
        if (!isNotebookLanguage(language))
          throw invalid(
            o.language === undefined
              ? `The language of notebook ${workspacePathText(segments)} is required (PYTHON, SQL, SCALA or R) with format SOURCE.`
              : `Invalid language ${JSON.stringify(o.language)}: expected PYTHON, SQL, SCALA or R.`
          );
        write = notebookSource(language);
        break;
      }
      case 'JUPYTER':
        if (name.toLowerCase().endsWith('.ipynb')) target = [...segments.slice(0, -1), name.slice(0, -'.ipynb'.length)];
        write = jupyter();
        break;
      case 'AUTO': {
        const language = headerLanguage();
        const ext = NOTEBOOK_FILE_EXTENSIONS.find((e) => name.toLowerCase().endsWith(e));
        if (ext === '.ipynb') {
          target = [...segments.slice(0, -1), name.slice(0, -ext.length)];
          write = jupyter();
        } else if (language && ext && ext === LANGUAGES[language].extension) {
          target = [...segments.slice(0, -1), name.slice(0, -ext.length)];
          write = notebookSource(language);
        } else write = { file: this.wsDisk(target), content: o.content };
        break;
      }
      default:
        write = { file: this.wsDisk(target), content: o.content };
    }
    const existing = this.find(target);
    const clash = fs.existsSync(write.file) ? write.file : undefined;
    if ((existing || clash) && !o.overwrite)
      throw new DjobsError(ErrorCode.RESOURCE_ALREADY_EXISTS, `Path (${workspacePathText(target)}) already exists.`);
    if (
      existing?.info.object_type === ObjectType.DIRECTORY ||
      fs.statSync(write.file, { throwIfNoEntry: false })?.isDirectory()
    )
      throw new DjobsError(ErrorCode.RESOURCE_ALREADY_EXISTS, `Path (${workspacePathText(target)}) is a directory.`);
    const parent = target.slice(0, -1);
    const parentObject = this.find(parent);
    if (parentObject && parentObject.info.object_type !== ObjectType.DIRECTORY)
      throw invalid(
        `Cannot import into ${parentObject.info.path}: it is a ${parentObject.info.object_type.toLowerCase()}.`
      );
    this.mkdirs(parent);
    // A notebook imported over one of another language or format replaces its file.
    if (existing && existing.file !== write.file) fs.rmSync(existing.file, { force: true });
    const tmp = `${write.file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, write.content);
    shareFile(tmp);
    fs.renameSync(tmp, write.file);
    return target;
  }

  /** workspace/export: a notebook as SOURCE or JUPYTER (AUTO: as stored), a file as it is. */
  exportObject(segments: readonly string[], format: string): { content: Buffer; fileType: string } {
    const o = this.find(segments);
    if (!o) throw notFound(workspacePathText(segments));
    if (o.info.object_type === ObjectType.DIRECTORY)
      throw invalid(
        `${o.info.path} is a directory: exporting a directory needs format DBC or SOURCE as a zip, which durable-jobs does not support.`
      );
    if (UNSUPPORTED_FORMATS.includes(format))
      throw invalid(`Export format ${format} is not supported by durable-jobs: use SOURCE, JUPYTER, AUTO or RAW.`);
    const raw = fs.readFileSync(o.file);
    if (o.info.object_type === ObjectType.FILE) return { content: raw, fileType: path.extname(o.file).slice(1) };
    const language = o.info.language!;
    const name = segments[segments.length - 1] ?? '';
    const cells =
      o.format === 'JUPYTER'
        ? jupyterCells(JSON.parse(raw.toString('utf8')))
        : sourceCells(raw.toString('utf8'), language);
    const asJupyter = format === 'JUPYTER' || (format === 'AUTO' && o.format === 'JUPYTER');
    if (asJupyter)
      return {
        content: o.format === 'JUPYTER' ? raw : Buffer.from(toJupyter(cells, language, name)),
        fileType: 'ipynb',
      };
    return {
      content: o.format === 'SOURCE' ? raw : Buffer.from(toSource(cells, language)),
      fileType: LANGUAGES[language].extension.slice(1),
    };
  }

  /** workspace/delete: a folder only with `recursive` unless empty. */
  delete(segments: readonly string[], recursive: boolean): void {
    const o = this.find(segments);
    if (!o) throw notFound(workspacePathText(segments));
    if (segments.length === 0) throw invalid('Cannot delete the workspace root.');
    if (o.info.object_type === ObjectType.DIRECTORY) {
      if (!recursive && fs.readdirSync(o.file).length > 0)
        throw new DjobsError(
          ErrorCode.DIRECTORY_NOT_EMPTY,
          `Folder (${o.info.path}) is not empty. Use recursive delete or remove contents first.`
        );
      fs.rmSync(o.file, { recursive: true, force: true });
    } else fs.rmSync(o.file, { force: true });
  }

  /** The path of the object with this id (a walk of the tree), or undefined. */
  findById(objectId: number): WorkspaceObject | undefined {
    if (objectIdOf([]) === objectId || objectId === 0) return this.find([]);
    const walk = (segments: string[]): WorkspaceObject | undefined => {
      for (const o of this.list(segments)) {
        if (o.info.object_id === objectId) return o;
        if (o.info.object_type === ObjectType.DIRECTORY) {
          const found = walk(o.segments);
          if (found) return found;
        }
      }
      return undefined;
    };
    return walk([]);
  }
}
