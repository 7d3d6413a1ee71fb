// The Files API (`/api/2.0/fs/files/{path}` PUT, GET, HEAD, DELETE and `/api/2.0/fs/directories/
// {path}` GET, PUT, HEAD, DELETE) over the volumes of the workspace root, as the SDKs'
// `w.files.upload` and `download` use it. Like the DBFS root, volumes are shared by every
// signed-in principal (Unity Catalog's volume grants are not modelled). A file arrives whole: it is
// written beside its place as a dot file and renamed, so a file-arrival trigger never sees half.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { WorkspaceArea } from '../core';
import { DjobsError, ErrorCode } from '../client';
import { RootFiles, noSuchFile, type RootFile } from '../workspace/files';
import { badRequest } from './errors';
import type { ApiDeps } from './routes';

const AREAS = [WorkspaceArea.VOLUMES];
const FILES = '/api/2.0/fs/files';
const DIRECTORIES = '/api/2.0/fs/directories';

export function registerFilesApi(app: FastifyInstance, deps: ApiDeps): void {
  const files = new RootFiles(deps.workspace);
  /** The path after the route's prefix, URL-decoded segment by segment. */
  const at = (req: FastifyRequest, prefix: string): RootFile => {
    const raw = req.url.split('?', 1)[0]!.slice(prefix.length);
    let decoded: string;
    try {
      decoded = raw.split('/').map(decodeURIComponent).join('/');
    } catch {
      throw badRequest(`Invalid path ${raw}.`);
    }
    return files.resolve(decoded, AREAS);
  };
  const query = (req: FastifyRequest) => req.query as Record<string, string | undefined>;

  void app.register(async (scope) => {
    // The body of a PUT is the file, of any type, streamed to disk as it comes.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    scope.put(`${FILES}/*`, async (req, reply) => {
      const f = at(req, FILES);
      const overwrite = query(req).overwrite !== 'false';
      await files.write(f, (req.body as Readable | undefined) ?? Buffer.alloc(0), overwrite);
      return reply.code(204).send();
    });
    const headers = (reply: FastifyReply, size: number, modifiedMs: number) =>
      reply
        .header('content-length', size)
        .header('content-type', 'application/octet-stream')
        .header('last-modified', new Date(modifiedMs).toUTCString())
        .header('accept-ranges', 'bytes');
    scope.head(`${FILES}/*`, async (req, reply) => {
      const f = at(req, FILES);
      const s = files.status(f);
      if (!s || s.isDir) return reply.code(404).send();
      headers(reply, s.size, s.modifiedMs);
      return reply.code(200).send();
    });
    scope.get(`${FILES}/*`, async (req, reply) => {
      const f = at(req, FILES);
      const s = files.status(f);
      if (!s || s.isDir) throw noSuchFile(f.display);
      const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), s.size - 1) : s.size - 1;
        const data = files.read(f, start, Math.max(0, end - start + 1));
        headers(reply, data.length, s.modifiedMs).header('content-range', `bytes ${start}-${end}/${s.size}`);
        return reply.code(206).send(data);
      }
      headers(reply, s.size, s.modifiedMs);
      return reply.send(files.read(f, 0, s.size));
    });
    scope.delete(`${FILES}/*`, async (req, reply) => {
      const f = at(req, FILES);
      const s = files.status(f);
      if (!s || s.isDir) throw noSuchFile(f.display);
      files.delete(f, false);
      return reply.code(204).send();
    });

    scope.put(`${DIRECTORIES}/*`, async (req, reply) => {
      files.mkdirs(at(req, DIRECTORIES));
      return reply.code(204).send();
    });
    scope.head(`${DIRECTORIES}/*`, async (req, reply) => {
      const s = files.status(at(req, DIRECTORIES));
      return reply.code(s?.isDir ? 200 : 404).send();
    });
    scope.get(`${DIRECTORIES}/*`, async (req) => {
      const f = at(req, DIRECTORIES);
      const s = files.status(f);
      if (!s?.isDir) throw noSuchFile(f.display);
      const q = query(req);
      const pageSize = q.page_size === undefined ? 1000 : Number(q.page_size);
      if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw badRequest(`Invalid page_size ${q.page_size}.`);
      const offset = q.page_token === undefined ? 0 : Number(Buffer.from(q.page_token, 'base64url').toString());
      if (!Number.isSafeInteger(offset) || offset < 0) throw badRequest('Invalid page_token.');
      const all = files.list(f);
      const contents = all.slice(offset, offset + pageSize).map((e) => ({
        path: e.path,
        is_directory: e.isDir,
        ...(e.isDir ? {} : { file_size: e.size }),
        last_modified: e.modifiedMs,
        name: e.path.split('/').pop(),
      }));
      const more = all.length > offset + pageSize;
      return {
        ...(contents.length > 0 ? { contents } : {}),
        ...(more ? { next_page_token: Buffer.from(String(offset + pageSize)).toString('base64url') } : {}),
      };
    });
    scope.delete(`${DIRECTORIES}/*`, async (req, reply) => {
      const f = at(req, DIRECTORIES);
      const s = files.status(f);
      if (!s?.isDir) throw noSuchFile(f.display);
      if (!files.delete(f, false))
        throw new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `${f.display} does not exist.`);
      return reply.code(204).send();
    });
  });
}
