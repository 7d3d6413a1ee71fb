// Where file-arrival triggers look for new files. A store lists what is at a location; the
// watcher workflow (workflows/triggers.ts) keeps what it has seen in its durable state, so a store
// needs no memory of its own. Local directories (a path or file:// URL) today; an object store
// (s3://…) is one more `FileStore` keyed by its scheme.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/activity';
import { diffListings, type ArrivedFile, type ListingChange } from '../spec';

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
      // A directory's entries are examined side by side (libuv bounds the parallel stats).
      await Promise.all(
        entries.map(async (e) => {
          // Dot files are work in progress by convention (rsync, editors, partial uploads).
          if (e.name.startsWith('.')) return;
          const p = path.join(dir, e.name);
          if (e.isDirectory()) return walk(p);
          if (!e.isFile()) return;
          try {
            const st = await fs.stat(p);
            out.push({ path: p, size: st.size, modifiedMs: Math.trunc(st.mtimeMs) });
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // removed meanwhile
          }
        })
      );
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

/** A listing's identity: the same files with the same sizes and times give the same digest. */
export function listingDigest(files: readonly ArrivedFile[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.path}\0${f.size}\0${f.modifiedMs}\n`);
  return h.digest('base64url').slice(0, 22);
}

/**
 * The listings this worker last reported, per watcher and location, by digest: a poll whose
 * `since` is among them gets only the changes. Another worker, or this one after a restart,
 * does not have them and sends the whole listing once: correct either way.
 */
const recentListings = new Map<string, Map<string, ArrivedFile[]>>();
const LISTINGS_PER_WATCHER = 2; // the one reported and the one before (a report lost in transit)
const WATCHERS_REMEMBERED = 1000;

function remember(key: string, digest: string, files: ArrivedFile[]): void {
  const mine = recentListings.get(key) ?? new Map<string, ArrivedFile[]>();
  recentListings.delete(key); // re-inserted last: the first key is the least recently used
  mine.delete(digest);
  mine.set(digest, files);
  while (mine.size > LISTINGS_PER_WATCHER) mine.delete(mine.keys().next().value!);
  recentListings.set(key, mine);
  while (recentListings.size > WATCHERS_REMEMBERED) recentListings.delete(recentListings.keys().next().value!);
}

export interface ListingRequest {
  url: string;
  /** Who asks (the watcher's workflow id): listings are remembered per watcher. */
  watcher: string;
  /** Digest of the listing the watcher holds, if any. */
  since?: string;
}

export const triggerActivities = {
  /** Every file at a location (the watchers before 'file-arrival-listing-changes' call this). */
  async listArrivedFiles(url: string): Promise<ArrivedFile[]> {
    return fileStoreFor(url).list();
  },

  /** The location's listing as a change since the watcher's own, or whole when that is unknown here. */
  async listArrivedFileChanges(req: ListingRequest): Promise<ListingChange> {
    const files = await fileStoreFor(req.url).list();
    const digest = listingDigest(files);
    const key = `${req.watcher}\0${req.url}`;
    const before = req.since !== undefined ? recentListings.get(key)?.get(req.since) : undefined;
    remember(key, digest, files);
    if (before === undefined) return { digest, files };
    return { digest, since: req.since!, ...diffListings(before, files) };
  },
};
