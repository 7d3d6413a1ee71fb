// The DBFS API 2.0 (`/api/2.0/dbfs/...`) over the workspace root's DBFS folder (and volumes, which
// DBFS paths may name as `dbfs:/Volumes/...`). As on Databricks, the DBFS root is shared by every
// user: any signed-in principal may read and write it. Streams (create, add-block, close) are
// kept per handle in this process until closed.
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { WorkspaceArea } from '../core';
import { DjobsError, ErrorCode } from '../client';
import { mkdirShared } from '../workspace/disk-modes';
import { RootFiles, type FileStatus, type RootFile } from '../workspace/files';
import { badRequest } from './errors';
import { acceptMultipart, formOrJsonParams } from './multipart';
import { bool } from './request-params';
import type { ApiDeps } from './routes';

/** Databricks: `read` and `add-block` take at most 1 MB; `put` with inline contents too. */
const MAX_BLOCK = 1024 * 1024;
const AREAS = [WorkspaceArea.DBFS, WorkspaceArea.VOLUMES];

const fileInfo = (s: FileStatus) => ({
  path: s.path.replace(/^dbfs:/, ''),
  is_dir: s.isDir,
  file_size: s.size,
  modification_time: s.modifiedMs,
});

export function registerDbfsApi(app: FastifyInstance, deps: ApiDeps): void {
  const files = new RootFiles(deps.workspace);
  const handles = new Map<number, { file: RootFile; part: string; overwrite: boolean }>();
  const base = '/api/2.0/dbfs';

  void app.register(async (scope) => {
    acceptMultipart(scope);
    const params = (req: FastifyRequest) => formOrJsonParams(req, deps.bodyLimitBytes);
    const at = async (req: FastifyRequest, field = 'path') => files.resolve((await params(req))[field], AREAS, field);

    scope.get(`${base}/get-status`, async (req) => {
      const f = await at(req);
      const s = files.status(f);
      if (!s)
        throw new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `No file or directory exists on path ${f.display}.`);
      return fileInfo(s);
    });
    scope.get(`${base}/list`, async (req) => {
      const listed = files.list(await at(req));
      return listed.length > 0 ? { files: listed.map(fileInfo) } : {};
    });
    scope.post(`${base}/mkdirs`, async (req) => {
      files.mkdirs(await at(req));
      return {};
    });
    scope.post(`${base}/delete`, async (req) => {
      const p = await params(req);
      files.delete(files.resolve(p.path, AREAS), bool(p.recursive), ErrorCode.IO_ERROR);
      return {};
    });
    scope.post(`${base}/move`, async (req) => {
      const p = await params(req);
      files.move(
        files.resolve(p.source_path, AREAS, 'source_path'),
        files.resolve(p.destination_path, AREAS, 'destination_path')
      );
      return {};
    });
    scope.post(`${base}/put`, async (req) => {
      const p = await params(req);
      const f = files.resolve(p.path, AREAS);
      const contents =
        p.contents instanceof Buffer
          ? p.contents
          : typeof p.contents === 'string'
            ? Buffer.from(p.contents, 'base64')
            : undefined;
      if (contents === undefined) throw badRequest('Missing required field: contents');
      if (typeof p.contents === 'string' && contents.length > MAX_BLOCK)
        throw new DjobsError(
          ErrorCode.MAX_BLOCK_SIZE_EXCEEDED,
          `The contents are over ${MAX_BLOCK} bytes: use create, add-block and close.`
        );
      await files.write(f, contents, bool(p.overwrite));
      return {};
    });
    scope.get(`${base}/read`, async (req) => {
      const p = await params(req);
      const f = files.resolve(p.path, AREAS);
      const offset = Number(p.offset ?? 0);
      const length = Number(p.length ?? 512 * 1024);
      if (!Number.isSafeInteger(offset) || offset < 0) throw badRequest(`Invalid offset ${String(p.offset)}.`);
      if (!Number.isSafeInteger(length) || length < 0) throw badRequest(`Invalid length ${String(p.length)}.`);
      if (length > MAX_BLOCK)
        throw new DjobsError(ErrorCode.MAX_READ_SIZE_EXCEEDED, `Cannot read more than ${MAX_BLOCK} bytes at once.`);
      const data = files.read(f, offset, length);
      return { bytes_read: data.length, data: data.toString('base64') };
    });
    scope.post(`${base}/create`, async (req) => {
      const p = await params(req);
      const file = files.resolve(p.path, AREAS);
      const st = files.status(file);
      if (st?.isDir) throw new DjobsError(ErrorCode.RESOURCE_ALREADY_EXISTS, `${file.display} is a directory.`);
      if (st && !bool(p.overwrite))
        throw new DjobsError(
          ErrorCode.RESOURCE_ALREADY_EXISTS,
          `A file or directory already exists at the input path ${file.display}.`
        );
      mkdirShared(path.dirname(file.disk));
      const handle = randomInt(1, 2 ** 47);
      const part = path.join(path.dirname(file.disk), `.${path.basename(file.disk)}.${handle}.part`);
      fs.writeFileSync(part, '');
      handles.set(handle, { file, part, overwrite: bool(p.overwrite) });
      return { handle };
    });
    const handleOf = (v: unknown) => {
      const h = handles.get(Number(v));
      if (!h) throw new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `Handle ${String(v)} does not exist.`);
      return h;
    };
    scope.post(`${base}/add-block`, async (req) => {
      const p = await params(req);
      const h = handleOf(p.handle);
      const data = Buffer.from(typeof p.data === 'string' ? p.data : '', 'base64');
      if (data.length > MAX_BLOCK)
        throw new DjobsError(ErrorCode.MAX_BLOCK_SIZE_EXCEEDED, `A block is at most ${MAX_BLOCK} bytes.`);
      fs.appendFileSync(h.part, data);
      return {};
    });
    scope.post(`${base}/close`, async (req) => {
      const p = await params(req);
      const h = handleOf(p.handle);
      handles.delete(Number(p.handle));
      try {
        await files.write(h.file, fs.createReadStream(h.part), h.overwrite);
      } finally {
        fs.rmSync(h.part, { force: true });
      }
      return {};
    });
  });
}
