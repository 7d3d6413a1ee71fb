// The examples of packaged and Git-sourced jobs run here: examples/python-wheel (its wheel built by
// this test) and examples/git-source (its repo/ pushed to a local bare repository, which git_url
// then names). examples/dbt runs in test/dbt/examples-dbt.test.ts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJobSpecFile } from '../../client';
import { buildFixtureWheel, shareUvCache } from '../helpers/python-build';
import { resultsByKey, useEngine } from './harness';

const examples = path.resolve(__dirname, '..', '..', 'examples');

describe('examples of dependencies and Git', () => {
  shareUvCache();
  const engine = useEngine('examples dependencies');

  it('python-wheel: the console script with named parameters and a variable, then a plain function', async () => {
    const dir = path.join(engine.workDir, 'python-wheel');
    fs.cpSync(path.join(examples, 'python-wheel'), dir, { recursive: true });
    buildFixtureWheel(path.join(dir, 'greeter'), path.join(dir, 'dist'));
    const { settings } = await loadJobSpecFile(path.join(dir, 'job.yaml'));
    const run = await engine.client.waitForRun((await engine.client.submitRun(settings)).run_id, {
      timeoutMs: 600_000,
    });
    expect(resultsByKey(run)).toEqual({ greet: 'SUCCESS', shout: 'SUCCESS' });
    expect((await engine.client.getRunOutput(run.run_id, 'greet')).logs).toBe('Hello, Ada!\n');
    expect((await engine.client.getRunOutput(run.run_id, 'shout')).logs).toBe('DURABLE JOBS\n');
  }, 600_000);

  it('git-source: the tasks read the commit of the branch, which the run records', async () => {
    const repo = path.join(engine.workDir, 'example.git');
    const clone = path.join(engine.workDir, 'example-clone');
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });
    git(engine.workDir, 'init', '-q', '--bare', '-b', 'main', repo);
    fs.cpSync(path.join(examples, 'git-source', 'repo'), clone, { recursive: true });
    git(clone, 'init', '-q', '-b', 'main');
    git(clone, 'add', '.');
    git(clone, 'commit', '-qm', 'example');
    git(clone, 'push', '-q', repo, 'main');
    const head = git(clone, 'rev-parse', 'HEAD').trim();
    const { settings } = await loadJobSpecFile(path.join(examples, 'git-source', 'job.yaml'));
    settings.git_source!.git_url = `file://${repo}`;
    const run = await engine.client.waitForRun((await engine.client.submitRun(settings)).run_id, {
      timeoutMs: 120_000,
    });
    expect(resultsByKey(run)).toEqual({ report: 'SUCCESS', summary: 'SUCCESS' });
    expect(run.git_source?.git_snapshot?.used_commit).toBe(head);
    expect((await engine.client.getRunOutput(run.run_id, 'report')).logs).toBe('report of version 1.0\n');
    expect((await engine.client.getRunOutput(run.run_id, 'summary')).logs).toMatch(/from git\s*\|\s*42/);
  }, 180_000);
});
