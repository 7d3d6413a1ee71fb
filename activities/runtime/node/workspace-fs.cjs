// dbutils.fs and the notebook runtime's path resolution, one implementation for the Python and
// Node shims: the Node shim calls it in process, Python's dbutils and `%run` call it as
// `node workspace-fs.cjs OP JSON_ARGS` (one JSON answer on stdout). Paths read as Databricks reads
// them (core/workspace/paths.ts, compiled): `dbfs:/`, `/Volumes/…`, `/Workspace/…` in the workspace
// root (DJOBS_WORKSPACE_ROOT), `file:/` on this machine, `s3://` on S3 (the AWS SDK's usual
// configuration, as file-arrival triggers). What the run's principal may reach comes from the
// worker: DJOBS_WORKSPACE_REACH (workspace paths and levels), DJOBS_LOCAL_FILES (may name any
// local file), DJOBS_CODE_ROOTS. Results are shaped as Databricks' dbutils returns them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const { fsPath, taskPath, PathProblem } = require(path.join(projectRoot, 'dist', 'core', 'workspace', 'paths.js'));

const NOTEBOOK_EXTENSIONS = ['.py', '.sql', '.ipynb', '.scala', '.r'];
const LEVELS = { CAN_READ: 1, CAN_RUN: 2, CAN_EDIT: 3, CAN_MANAGE: 4 };

/** An error as dbutils raises it on Databricks (the Java exception's name leads the message). */
class FsError extends Error {
  constructor(kind, message) {
    super(`${kind}: ${message}`);
    this.kind = kind;
  }
}
const notFound = (p) => new FsError('java.io.FileNotFoundException', `File ${p} does not exist.`);

const root = () => process.env.DJOBS_WORKSPACE_ROOT || path.join(process.env.DJOBS_HOME || '.', 'workspace');
const reach = () => JSON.parse(process.env.DJOBS_WORKSPACE_REACH || '[{"path":"/","level":"CAN_MANAGE"}]');
const localFiles = () => process.env.DJOBS_LOCAL_FILES !== '0';
const codeRoots = () => (process.env.DJOBS_CODE_ROOTS || '').split(',').filter(Boolean);
const within = (file, dir) => file === dir || file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** The level the run's principal holds on a workspace path (`/Users/a/x`). */
function levelOn(wsPath) {
  let best = 0;
  for (const r of reach()) if (within(wsPath, r.path) || r.path === '/') best = Math.max(best, LEVELS[r.level] || 0);
  return best;
}

const AREA_DISPLAY = {
  Workspace: (s) => `/Workspace/${s.join('/')}`,
  Volumes: (s) => `dbfs:/Volumes/${s.join('/')}`,
  dbfs: (s) => `dbfs:/${s.join('/')}`,
};

/**
 * A path as dbutils.fs reads it: { kind: 'disk', file, display, ws? } or { kind: 's3', bucket, key }.
 * `need`: 'read' or 'write'; what the principal may not reach reads as missing.
 */
function locate(p, need = 'read') {
  if (typeof p !== 'string' || p === '')
    throw new FsError('java.lang.IllegalArgumentException', 'Path must not be empty.');
  const r = fsPath(p);
  if (r instanceof PathProblem) throw new FsError('java.lang.IllegalArgumentException', r.message);
  return located(r, p, need);
}

function located(r, p, need) {
  if (r.kind === 's3') return { kind: 's3', bucket: r.bucket, key: r.key, display: `s3://${r.bucket}/${r.key}` };
  if (r.kind === 'local') {
    const ok = localFiles() || within(r.path, '/tmp') || codeRoots().some((d) => within(r.path, d) && need === 'read');
    if (!ok) throw notFound(p);
    return { kind: 'disk', file: r.path, display: `file:${r.path}` };
  }
  const file = path.join(root(), r.area, ...r.segments);
  if (r.area === 'Workspace') {
    const ws = `/${r.segments.join('/')}`;
    const level = levelOn(ws.replace(/\.(py|sql|ipynb|scala|r)$/i, ''));
    if (level < (need === 'write' ? LEVELS.CAN_EDIT : LEVELS.CAN_READ)) throw notFound(p);
    return { kind: 'disk', file, display: AREA_DISPLAY.Workspace(r.segments), ws };
  }
  return { kind: 'disk', file, display: AREA_DISPLAY[r.area](r.segments) };
}

/** Symlinks may not lead out of the workspace root's areas. */
function confined(loc) {
  if (loc.kind !== 'disk' || loc.display.startsWith('file:')) return loc;
  let real;
  try {
    real = fs.realpathSync(loc.file);
  } catch {
    return loc; // not there (yet): nothing to follow
  }
  if (!within(real, fs.realpathSync(root()))) throw notFound(loc.display);
  return loc;
}

// ---- S3 ----
let s3;
function s3Client() {
  if (!s3) {
    const { S3Client } = require('@aws-sdk/client-s3');
    const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
    const pathStyle = process.env.DJOBS_S3_FORCE_PATH_STYLE;
    s3 = new S3Client({
      region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
      ...(endpoint ? { endpoint } : {}),
      forcePathStyle: pathStyle ? pathStyle === 'true' : endpoint !== undefined,
    });
  }
  return s3;
}
const s3Cmd = (name, input) => s3Client().send(new (require('@aws-sdk/client-s3')[name])(input));
async function s3List(loc) {
  const prefix = loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/`;
  const out = [];
  let token;
  do {
    const page = await s3Cmd('ListObjectsV2Command', {
      Bucket: loc.bucket,
      Prefix: prefix,
      Delimiter: '/',
      ContinuationToken: token,
    });
    for (const d of page.CommonPrefixes || [])
      out.push(fileInfo(`s3://${loc.bucket}/${d.Prefix}`, d.Prefix.slice(prefix.length), 0, 0));
    for (const o of page.Contents || [])
      if (o.Key !== prefix)
        out.push(
          fileInfo(
            `s3://${loc.bucket}/${o.Key}`,
            o.Key.slice(prefix.length),
            o.Size || 0,
            o.LastModified ? o.LastModified.getTime() : 0
          )
        );
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
async function s3Read(loc) {
  try {
    const res = await s3Cmd('GetObjectCommand', { Bucket: loc.bucket, Key: loc.key });
    return Buffer.from(await res.Body.transformToByteArray());
  } catch (err) {
    if (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) throw notFound(loc.display);
    throw err;
  }
}
async function s3Exists(loc) {
  try {
    await s3Cmd('HeadObjectCommand', { Bucket: loc.bucket, Key: loc.key });
    return 'file';
  } catch {
    const page = await s3Cmd('ListObjectsV2Command', {
      Bucket: loc.bucket,
      Prefix: `${loc.key.replace(/\/$/, '')}/`,
      MaxKeys: 1,
    });
    return (page.KeyCount || 0) > 0 ? 'dir' : undefined;
  }
}

// ---- dbutils.fs ----
function fileInfo(p, name, size, modificationTime) {
  return { path: p, name, size, modificationTime };
}
const kindOf = async (loc) => {
  if (loc.kind === 's3') return s3Exists(loc);
  const st = fs.statSync(loc.file, { throwIfNoEntry: false });
  return st ? (st.isDirectory() ? 'dir' : 'file') : undefined;
};

async function ls(p) {
  const loc = confined(locate(p));
  if (loc.kind === 's3') {
    const listed = await s3List(loc);
    if (listed.length === 0 && !(await s3Exists(loc))) throw notFound(p);
    return listed;
  }
  const st = fs.statSync(loc.file, { throwIfNoEntry: false });
  if (!st) throw notFound(p);
  const base = loc.display.replace(/\/$/, '');
  if (!st.isDirectory()) return [fileInfo(base, path.basename(loc.file), st.size, Math.trunc(st.mtimeMs))];
  return fs
    .readdirSync(loc.file, { withFileTypes: true })
    .map((e) => {
      const s = fs.statSync(path.join(loc.file, e.name), { throwIfNoEntry: false });
      if (!s) return undefined;
      return s.isDirectory()
        ? fileInfo(`${base}/${e.name}/`, `${e.name}/`, 0, Math.trunc(s.mtimeMs))
        : fileInfo(`${base}/${e.name}`, e.name, s.size, Math.trunc(s.mtimeMs));
    })
    .filter(Boolean)
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function readAll(loc) {
  if (loc.kind === 's3') return s3Read(loc);
  const st = fs.statSync(loc.file, { throwIfNoEntry: false });
  if (!st || st.isDirectory()) throw notFound(loc.display);
  return fs.readFileSync(loc.file);
}

async function head(p, maxBytes = 65536) {
  const data = await readAll(confined(locate(p)));
  const text = data.subarray(0, maxBytes).toString('utf8');
  return { text, truncated: data.length > maxBytes };
}

async function writeBytes(loc, data, overwrite) {
  if (loc.kind === 's3') {
    if (!overwrite && (await s3Exists(loc)))
      throw new FsError('org.apache.hadoop.fs.FileAlreadyExistsException', `File already exists: ${loc.display}`);
    await s3Cmd('PutObjectCommand', { Bucket: loc.bucket, Key: loc.key, Body: data });
    return;
  }
  const st = fs.statSync(loc.file, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new FsError('java.io.IOException', `${loc.display} is a directory.`);
  if (st && !overwrite)
    throw new FsError('org.apache.hadoop.fs.FileAlreadyExistsException', `File already exists: ${loc.display}`);
  fs.mkdirSync(path.dirname(loc.file), { recursive: true });
  const tmp = path.join(path.dirname(loc.file), `.${path.basename(loc.file)}.${process.pid}.part`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, loc.file);
}

async function put(p, contents, overwrite = false) {
  const data = Buffer.from(String(contents), 'utf8');
  await writeBytes(confined(locate(p, 'write')), data, overwrite);
  return { bytes: data.length };
}

async function mkdirs(p) {
  const loc = confined(locate(p, 'write'));
  if (loc.kind === 's3')
    await s3Cmd('PutObjectCommand', { Bucket: loc.bucket, Key: `${loc.key.replace(/\/$/, '')}/`, Body: '' });
  else fs.mkdirSync(loc.file, { recursive: true });
  return true;
}

async function rm(p, recurse = false) {
  const loc = confined(locate(p, 'write'));
  const kind = await kindOf(loc);
  if (!kind) return false;
  if (kind === 'dir' && !recurse) {
    const children = loc.kind === 's3' ? await s3List(loc) : fs.readdirSync(loc.file);
    if (children.length > 0)
      throw new FsError(
        'java.io.IOException',
        `${loc.display} is a non-empty directory: pass recurse=True to remove it.`
      );
  }
  if (loc.kind === 's3') {
    const keys = kind === 'dir' ? await s3AllKeys(loc) : [loc.key];
    for (const Key of keys) await s3Cmd('DeleteObjectCommand', { Bucket: loc.bucket, Key });
  } else fs.rmSync(loc.file, { recursive: true, force: true });
  return true;
}

async function s3AllKeys(loc) {
  const prefix = `${loc.key.replace(/\/$/, '')}/`;
  const keys = [];
  let token;
  do {
    const page = await s3Cmd('ListObjectsV2Command', { Bucket: loc.bucket, Prefix: prefix, ContinuationToken: token });
    for (const o of page.Contents || []) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Every file below a location, as [relative path, location]. */
async function filesBelow(loc) {
  if (loc.kind === 's3') {
    const prefix = `${loc.key.replace(/\/$/, '')}/`;
    return (await s3AllKeys(loc))
      .filter((k) => !k.endsWith('/'))
      .map((k) => [k.slice(prefix.length), { ...loc, key: k, display: `s3://${loc.bucket}/${k}` }]);
  }
  const out = [];
  const walk = (dir, rel) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) walk(file, `${rel}${e.name}/`);
      else if (e.isFile()) out.push([`${rel}${e.name}`, { ...loc, file, display: `${loc.display}/${rel}${e.name}` }]);
    }
  };
  walk(loc.file, '');
  return out;
}

function childOf(loc, rel) {
  if (loc.kind === 's3') {
    const key = `${loc.key.replace(/\/$/, '')}/${rel}`;
    return { ...loc, key, display: `s3://${loc.bucket}/${key}` };
  }
  return { ...loc, file: path.join(loc.file, rel), display: `${loc.display.replace(/\/$/, '')}/${rel}` };
}

async function cp(from, to, recurse = false) {
  const src = confined(locate(from));
  let dst = confined(locate(to, 'write'));
  const kind = await kindOf(src);
  if (!kind) throw notFound(from);
  if (kind === 'dir') {
    if (!recurse) throw new FsError('java.io.IOException', `${from} is a directory: pass recurse=True to copy it.`);
    for (const [rel, file] of await filesBelow(src)) await writeBytes(childOf(dst, rel), await readAll(file), true);
    return true;
  }
  if ((await kindOf(dst)) === 'dir') dst = childOf(dst, path.posix.basename(src.kind === 's3' ? src.key : src.file));
  await writeBytes(dst, await readAll(src), true);
  return true;
}

async function mv(from, to, recurse = false) {
  const src = confined(locate(from, 'write'));
  const dst = confined(locate(to, 'write'));
  if (src.kind === 'disk' && dst.kind === 'disk') {
    const kind = await kindOf(src);
    if (!kind) throw notFound(from);
    if (kind === 'dir' && !recurse)
      throw new FsError('java.io.IOException', `${from} is a directory: pass recurse=True to move it.`);
    const target = (await kindOf(dst)) === 'dir' ? path.join(dst.file, path.basename(src.file)) : dst.file;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(src.file, target);
    return true;
  }
  await cp(from, to, recurse);
  await rm(from, true);
  return true;
}

// ---- notebooks ----
/**
 * The file of a notebook a `%run` or `dbutils.notebook.run` names, relative to `baseDir` (the
 * calling notebook's folder on disk) unless absolute; a notebook may leave its extension out.
 * Missing and forbidden read the same.
 */
const realOrSelf = (p) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
};

function resolveNotebook(p, baseDir) {
  const missing = new FsError('NotebookNotFound', `Notebook ${p} does not exist.`);
  let r = taskPath(p);
  if (r === undefined) {
    const wsRoot = path.join(root(), 'Workspace');
    const joined = path.resolve(baseDir, p);
    // A relative path stays in the area it starts in: inside the workspace it is a workspace path.
    r = within(joined, wsRoot) ? taskPath(`/Workspace${joined.slice(wsRoot.length)}`) : { kind: 'local', path: joined };
  }
  if (r instanceof PathProblem) throw new FsError('NotebookNotFound', r.message);
  let loc;
  try {
    loc = r.kind === 'local' ? { kind: 'disk', file: r.path, display: r.path, local: true } : located(r, p, 'read');
  } catch {
    throw missing;
  }
  if (loc.kind !== 'disk') throw missing;
  if (loc.local && !localFiles() && !codeRoots().some((d) => within(loc.file, d))) throw missing;
  const candidates = path.extname(loc.file) ? [loc.file] : [loc.file, ...NOTEBOOK_EXTENSIONS.map((e) => loc.file + e)];
  for (const c of candidates) {
    let real;
    try {
      real = fs.realpathSync(c);
    } catch {
      continue;
    }
    if (!fs.statSync(real).isFile()) continue;
    if (!loc.local && !within(real, fs.realpathSync(root()))) throw missing;
    // A symlink under a code root (a Git checkout's) is judged where it leads.
    if (loc.local && !localFiles() && !codeRoots().some((d) => within(real, realOrSelf(d)))) throw missing;
    return { file: real, display: loc.display };
  }
  throw missing;
}

const OPS = { ls, head, put, mkdirs, rm, cp, mv, resolveNotebook };

module.exports = { ...OPS, FsError, locate };

if (require.main === module) {
  const [op, json] = process.argv.slice(2);
  const run = async () => {
    if (!Object.hasOwn(OPS, op)) throw new Error(`unknown operation ${op}`);
    return OPS[op](...JSON.parse(json || '[]'));
  };
  run().then(
    (result) => process.stdout.write(JSON.stringify({ ok: result === undefined ? null : result })),
    (err) =>
      process.stdout.write(
        JSON.stringify({ error: { kind: err.kind || err.name || 'Error', message: err.message || String(err) } })
      )
  );
}
