// Where file-arrival triggers look for new files. A store lists what is at a location; the
// watcher workflow (workflows/triggers.ts) keeps what it has seen in its durable state, so a store
// needs no memory of its own. Local directories (a path or file:// URL) and S3-compatible object
// stores (s3://bucket/prefix/), each a `FileStore` chosen by the URL's scheme.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/activity';
import { PathProblem, diffListings, displayPath, taskPath, type ArrivedFile, type ListingChange } from '../core';

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

/**
 * Objects under a prefix of an S3 bucket, or of any S3-compatible store (MinIO, Ceph, R2...).
 * The AWS SDK's usual configuration applies: credentials from the environment, profile or
 * instance role; `AWS_REGION` (default us-east-1); `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` for
 * a store other than AWS, which is then addressed path-style unless DJOBS_S3_FORCE_PATH_STYLE=false.
 */
class S3PrefixStore implements FileStore {
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(url: string) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
    if (!m) throw ApplicationFailure.nonRetryable(`Not an s3://bucket/prefix/ URL: ${url}`, 'UnsupportedStore');
    this.bucket = m[1]!;
    // A prefix names a folder: s3://b/landing and s3://b/landing/ both mean the keys under landing/.
    this.prefix = m[2] === '' || m[2]!.endsWith('/') ? m[2]! : `${m[2]}/`;
  }

  async list(): Promise<ArrivedFile[]> {
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const client = await s3Client();
    const out: ArrivedFile[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token })
      );
      for (const o of page.Contents ?? []) {
        const key = o.Key;
        // Folder markers are not files; names starting with '.' are in progress, as on disk.
        if (!key || key.endsWith('/')) continue;
        if (
          key
            .slice(this.prefix.length)
            .split('/')
            .some((part) => part.startsWith('.'))
        )
          continue;
        out.push({ path: `s3://${this.bucket}/${key}`, size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

let sharedS3: Promise<S3Client> | undefined;
/** One client per worker process (it pools connections), made on first use. */
function s3Client(): Promise<S3Client> {
  sharedS3 ??= import('@aws-sdk/client-s3').then(({ S3Client }) => {
    const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
    const pathStyle = process.env.DJOBS_S3_FORCE_PATH_STYLE;
    return new S3Client({
      region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
      ...(endpoint ? { endpoint } : {}),
      forcePathStyle: pathStyle ? pathStyle === 'true' : endpoint !== undefined,
    });
  });
  return sharedS3;
}

/**
 * A folder of the workspace root (`/Volumes/...`, `dbfs:/...`, `/Workspace/...`): listed on disk,
 * its files named as Databricks names them.
 */
class WorkspaceRootStore implements FileStore {
  private readonly disk: LocalDirectoryStore;

  constructor(
    private readonly dir: string,
    private readonly shownAs: string
  ) {
    this.disk = new LocalDirectoryStore(dir);
  }

  async list(): Promise<ArrivedFile[]> {
    const prefix = this.shownAs.replace(/\/$/, '');
    return (await this.disk.list()).map((f) => ({ ...f, path: `${prefix}${f.path.slice(this.dir.length)}` }));
  }
}

export function fileStoreFor(url: string, workspaceRoot?: string): FileStore {
  const where = taskPath(url);
  if (where instanceof PathProblem) throw ApplicationFailure.nonRetryable(where.message, 'UnsupportedStore');
  if (where?.kind === 'root') {
    if (!workspaceRoot)
      throw ApplicationFailure.nonRetryable(`${url}: this worker has no workspace root.`, 'UnsupportedStore');
    return new WorkspaceRootStore(path.join(workspaceRoot, where.area, ...where.segments), displayPath(where));
  }
  if (url.startsWith('file://')) return new LocalDirectoryStore(fileURLToPath(url));
  if (url.startsWith('s3://')) return new S3PrefixStore(url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url))
    throw ApplicationFailure.nonRetryable(
      `No file store for ${url}: local paths, file:// and s3:// URLs are supported.`,
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

/** The file-arrival activities of a worker whose workspace root is `workspaceRoot`. */
export const createTriggerActivities = (workspaceRoot?: string) => ({
  /** Every file at a location (the watchers before 'file-arrival-listing-changes' call this). */
  async listArrivedFiles(url: string): Promise<ArrivedFile[]> {
    return fileStoreFor(url, workspaceRoot).list();
  },

  /** The location's listing as a change since the watcher's own, or whole when that is unknown here. */
  async listArrivedFileChanges(req: ListingRequest): Promise<ListingChange> {
    const files = await fileStoreFor(req.url, workspaceRoot).list();
    const digest = listingDigest(files);
    const key = `${req.watcher}\0${req.url}`;
    const before = req.since !== undefined ? recentListings.get(key)?.get(req.since) : undefined;
    remember(key, digest, files);
    if (before === undefined) return { digest, files };
    return { digest, since: req.since!, ...diffListings(before, files) };
  },
});

/** The file-arrival activities without a workspace root (local folders and S3 only). */
export const triggerActivities = createTriggerActivities();
