// Where file-arrival triggers look for new files. A store lists what is at a location; the
// watcher workflow (workflows/triggers.ts) keeps what it has seen in its durable state, so a store
// needs no memory of its own. Local directories (a path or file:// URL) today; an object store
// (s3://…) is one more `FileStore` keyed by its scheme.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/activity';
import type { ArrivedFile } from '../spec';

export interface FileStore {
  list(): Promise<ArrivedFile[]>;
}

class LocalDirectoryStore implements FileStore {
  constructor(private readonly dir: string) {}

  async list(): Promise<ArrivedFile[]> {
    const out: ArrivedFile[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        // A location that does not exist (yet) holds no files.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        // Dot files are work in progress by convention (rsync, editors, partial uploads).
        if (e.name.startsWith('.')) continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) {
          try {
            const st = await fs.stat(p);
            out.push({ path: p, size: st.size, modifiedMs: Math.trunc(st.mtimeMs) });
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // removed meanwhile
          }
        }
      }
    };
    await walk(this.dir);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

export function fileStoreFor(url: string): FileStore {
  if (url.startsWith('file://')) return new LocalDirectoryStore(fileURLToPath(url));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url))
    throw ApplicationFailure.nonRetryable(
      `No file store for ${url}: only local paths and file:// URLs for now.`,
      'UnsupportedStore'
    );
  return new LocalDirectoryStore(path.resolve(url));
}

export const triggerActivities = {
  async listArrivedFiles(url: string): Promise<ArrivedFile[]> {
    return fileStoreFor(url).list();
  },
};
