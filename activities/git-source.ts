// A job's git_source on the worker: one mirror clone per repository URL under
// `<dataDir>/git/repos` (fetched under a lock shared by every attempt and worker of that data
// directory), and one read-only checkout per commit under `<dataDir>/git/checkouts`, which every
// Git-sourced task of every run on that commit reads its paths from. A run decides its commit
// once (`resolveGitCommit`, an activity); its tasks ask for that commit's checkout. Checkouts no
// run read for DJOBS_ENVIRONMENT_MAX_AGE_DAYS (default 7) are removed (unused-dirs.ts).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { GitCheckoutRef } from '../core';
import type { GitSourceActivities, GitSourceRef } from '../workflows/definitions';
import { withDirLock } from './dir-lock';
import { shareWithTasks } from './shared-with-tasks';
import { markUsed, maxUnusedAgeMs, removeUnused } from './unused-dirs';

/** The repository, ref or commit cannot be had: `message` is git's own account. */
export class GitCheckoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitCheckoutError';
  }
}

const MARKER = '.djobs-checkout';
const digest = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
export const gitRoot = (dataDir: string): string => path.join(dataDir, 'git');
const cloneDir = (dataDir: string, url: string) =>
  path.join(gitRoot(dataDir), 'repos', `${digest(url).slice(0, 24)}.git`);

function git(args: string[], signal?: AbortSignal): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    // No prompt for credentials: a remote that asks for them fails at once.
    const child = spawn('git', args, {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function gitOrThrow(args: string[], what: string, signal?: AbortSignal): Promise<string> {
  const r = await git(args, signal);
  const detail = (r.err || r.out).trim().split('\n').slice(-5).join(' ');
  if (r.code !== 0) throw new GitCheckoutError(detail ? `${what}: ${detail}` : `${what}.`);
  return r.out;
}

/** Clone `url` (a mirror: every branch and tag) or fetch what changed, under the repository's lock. */
async function fetchRepository(dataDir: string, url: string, signal?: AbortSignal): Promise<string> {
  const dir = cloneDir(dataDir, url);
  await withDirLock(
    dir,
    () => false,
    async () => {
      if (fs.existsSync(path.join(dir, 'HEAD'))) {
        await gitOrThrow(['--git-dir', dir, 'fetch', '--prune', '--quiet', 'origin'], `Could not fetch ${url}`, signal);
        return;
      }
      const tmp = `${dir}.cloning`;
      fs.rmSync(tmp, { recursive: true, force: true });
      await gitOrThrow(['clone', '--mirror', '--quiet', url, tmp], `Could not clone ${url}`, signal);
      fs.renameSync(tmp, dir);
    },
    signal
  );
  return dir;
}

const hasCommit = async (dir: string, commit: string) =>
  (await git(['--git-dir', dir, 'cat-file', '-e', `${commit}^{commit}`])).code === 0;

/** The commit a git_source's branch, tag or commit names now, after fetching it. */
export async function resolveCommit(dataDir: string, ref: GitSourceRef, signal?: AbortSignal): Promise<string> {
  const dir = await fetchRepository(dataDir, ref.git_url, signal);
  const [name, rev] =
    ref.git_branch !== undefined
      ? [`branch ${ref.git_branch}`, `refs/heads/${ref.git_branch}`]
      : ref.git_tag !== undefined
        ? [`tag ${ref.git_tag}`, `refs/tags/${ref.git_tag}`]
        : [`commit ${ref.git_commit ?? ''}`, ref.git_commit ?? 'HEAD'];
  if (ref.git_commit !== undefined && !(await hasCommit(dir, ref.git_commit)))
    await withDirLock(
      dir,
      () => false,
      () => git(['--git-dir', dir, 'fetch', '--quiet', 'origin', ref.git_commit!]),
      signal
    );
  const out = await gitOrThrow(
    ['--git-dir', dir, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`],
    `${ref.git_url} has no ${name}`,
    signal
  );
  return out.trim();
}

/**
 * The read-only checkout of `ref.commit` (only `sparsePatterns` when given), made once per commit
 * and shared by every task and run that reads it.
 */
export async function checkoutCommit(dataDir: string, ref: GitCheckoutRef, signal?: AbortSignal): Promise<string> {
  const sparse = ref.sparsePatterns?.length ? `-${digest(ref.sparsePatterns.join('\n')).slice(0, 8)}` : '';
  const dir = path.join(gitRoot(dataDir), 'checkouts', `${digest(ref.url).slice(0, 12)}-${ref.commit}${sparse}`);
  const ready = () => fs.existsSync(path.join(dir, MARKER));
  let built = false;
  await withDirLock(
    dir,
    ready,
    async () => {
      let repo = cloneDir(dataDir, ref.url);
      // Another worker's run may have decided the commit: fetch it here when this clone lacks it.
      if (!fs.existsSync(path.join(repo, 'HEAD')) || !(await hasCommit(repo, ref.commit)))
        repo = await fetchRepository(dataDir, ref.url, signal);
      if (!(await hasCommit(repo, ref.commit)))
        await gitOrThrow(
          ['--git-dir', repo, 'fetch', '--quiet', 'origin', ref.commit],
          `Could not fetch ${ref.commit}`,
          signal
        );
      const tmp = `${dir}.extracting`;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp, { recursive: true });
      const tar = `${tmp}.tar`;
      try {
        await gitOrThrow(
          ['--git-dir', repo, 'archive', '--format=tar', '-o', tar, ref.commit, ...(ref.sparsePatterns ?? [])],
          `Could not check out ${ref.commit} of ${ref.url}`,
          signal
        );
        const untar = await new Promise<number | null>((resolve, reject) => {
          const child = spawn('tar', ['-xf', tar, '-C', tmp], { stdio: 'ignore' });
          child.on('error', reject);
          child.on('close', resolve);
        });
        if (untar !== 0) throw new GitCheckoutError(`Could not unpack ${ref.commit} of ${ref.url}`);
      } finally {
        fs.rmSync(tar, { force: true });
      }
      fs.writeFileSync(path.join(tmp, MARKER), `${ref.url}\n${ref.commit}\n`);
      await shareWithTasks(tmp, { readOnly: true });
      fs.renameSync(tmp, dir);
      built = true;
    },
    signal
  );
  markUsed(dir);
  // Checkouts of commits no run read for the maximum age go (the clones stay: fetches are cheap).
  if (built) removeUnused(path.dirname(dir), maxUnusedAgeMs());
  return dir;
}

/** The activity that decides a run's commit (workflows/job-run.ts calls it once per run). */
export function createGitSourceActivities(dataDir: string): GitSourceActivities {
  return {
    async resolveGitCommit(source: GitSourceRef): Promise<{ commit: string } | { error: string }> {
      try {
        return { commit: await resolveCommit(dataDir, source) };
      } catch (err) {
        // The repository or ref cannot be had: the run's Git-sourced tasks fail with this.
        if (err instanceof GitCheckoutError) return { error: err.message };
        throw err;
      }
    },
  };
}
