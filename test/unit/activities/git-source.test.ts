// The worker's side of git_source on a real local repository: which commit a branch, tag or commit
// names, read-only checkouts per commit (sparse ones too), and git's own words when a ref is missing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutCommit, createGitSourceActivities, resolveCommit } from '../../../activities/git-source';

describe('git_source on the worker', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-git-'));
  const repo = path.join(dir, 'repo.git');
  const url = `file://${repo}`;
  const dataDir = path.join(dir, 'home');
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd,
      encoding: 'utf8',
    }).trim();
  let first: string;
  let second: string;
  beforeAll(() => {
    const clone = path.join(dir, 'clone');
    git(dir, 'init', '-q', '--bare', '-b', 'main', repo);
    fs.mkdirSync(path.join(clone, 'jobs'), { recursive: true });
    fs.writeFileSync(path.join(clone, 'jobs', 'a.py'), 'print(1)\n');
    fs.writeFileSync(path.join(clone, 'README'), 'one\n');
    git(clone, 'init', '-q', '-b', 'main');
    git(clone, 'add', '.');
    git(clone, 'commit', '-qm', 'one');
    git(clone, 'tag', 'v1');
    git(clone, 'push', '-q', '--tags', repo, 'main');
    first = git(clone, 'rev-parse', 'HEAD');
    fs.writeFileSync(path.join(clone, 'README'), 'two\n');
    git(clone, 'commit', '-qam', 'two');
    git(clone, 'push', '-q', repo, 'main');
    second = git(clone, 'rev-parse', 'HEAD');
  });

  afterAll(() => {
    execFileSync('chmod', ['-R', 'u+w', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the commit of a branch, a tag or a commit', async () => {
    expect(await resolveCommit(dataDir, { git_url: url, git_branch: 'main' })).toBe(second);
    expect(await resolveCommit(dataDir, { git_url: url, git_tag: 'v1' })).toBe(first);
    expect(await resolveCommit(dataDir, { git_url: url, git_commit: first.slice(0, 12) })).toBe(first);
  });

  it('checks a commit out once, read-only, and only the sparse patterns when given', async () => {
    const full = await checkoutCommit(dataDir, { url, commit: first });
    expect(fs.readFileSync(path.join(full, 'README'), 'utf8')).toBe('one\n');
    expect(await checkoutCommit(dataDir, { url, commit: first })).toBe(full);
    // No write bit anywhere (root could write all the same: a sandbox mounts it read-only).
    for (const p of [full, path.join(full, 'jobs'), path.join(full, 'jobs', 'a.py')])
      expect(fs.statSync(p).mode & 0o222).toBe(0);
    const sparse = await checkoutCommit(dataDir, { url, commit: second, sparsePatterns: ['jobs'] });
    expect(fs.existsSync(path.join(sparse, 'jobs', 'a.py'))).toBe(true);
    expect(fs.existsSync(path.join(sparse, 'README'))).toBe(false);
  });

  it("reports a missing branch or repository in git's words, not as an activity failure", async () => {
    const activities = createGitSourceActivities(dataDir);
    expect(await activities.resolveGitCommit({ git_url: url, git_branch: 'nope' })).toEqual({
      error: `${url} has no branch nope.`,
    });
    const missing = await activities.resolveGitCommit({ git_url: `file://${dir}/missing.git`, git_branch: 'main' });
    expect('error' in missing && missing.error).toMatch(
      /^Could not clone file:\/\/.*missing\.git: fatal: .*does not appear to be a git repository/
    );
  });
});
