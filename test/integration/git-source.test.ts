// git_source through the official Python SDK, on a local bare repository: a run reads the branch's
// commit (recorded as git_snapshot.used_commit), a new commit is pushed, the next run reads the new
// commit, and a repair of the first run reads the first run's commit again.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { ensurePythonSdk, pythonSdkDir, runCompatScript } from '../helpers/compat';
import { adminTokens, useEngine } from './harness';

interface RunFacts {
  run: string;
  result: string;
  used_commit: string | null;
  tasks: Record<string, { result: string | null; logs: string }[]>;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  });

describe('git_source through the Python SDK', () => {
  const engine = useEngine('git source');
  let app: FastifyInstance;
  const runs: Record<string, RunFacts> = {};
  let commits: string[] = [];
  beforeAll(async () => {
    ensurePythonSdk();
    const repo = path.join(engine.workDir, 'repo.git');
    const clone = path.join(engine.workDir, 'clone');
    git(engine.workDir, 'init', '-q', '--bare', '-b', 'main', repo);
    git(engine.workDir, 'clone', '-q', repo, clone);
    fs.mkdirSync(path.join(clone, 'notebooks'));
    fs.writeFileSync(
      path.join(clone, 'notebooks', 'hello.py'),
      '# Databricks notebook source\nimport os\nprint("hello from", open(os.path.join(os.path.dirname(os.getcwd()), "version.txt")).read())\n'
    );
    const fixed = path.join(engine.workDir, 'fixed');
    fs.writeFileSync(
      path.join(clone, 'check.py'),
      `import os\nprint("check at", open("version.txt").read())\nassert os.path.exists(${JSON.stringify(fixed)}), "not fixed yet"\n`
    );
    fs.writeFileSync(path.join(clone, 'version.txt'), 'v0');
    git(clone, 'add', '.');
    git(clone, 'commit', '-qm', 'first');
    git(clone, 'push', '-q', 'origin', 'main');
    git(clone, 'config', 'user.name', 'test');
    git(clone, 'config', 'user.email', 'test@example.com');
    app = await createApiServer({
      client: engine.client,
      tokens: adminTokens('git-token'),
      workspaceDir: engine.workDir,
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const { code, output, stdout } = await runCompatScript('python3', 'git_source_compat.py', {
      DJOBS_HOST: base,
      DJOBS_TOKEN: 'git-token',
      REPO: repo,
      CLONE: clone,
      FIXED: fixed,
      PYTHONPATH: pythonSdkDir,
    });
    expect(output, output).toContain('OK');
    expect(code).toBe(0);
    for (const line of stdout.split('\n').filter((l) => l.startsWith('{'))) {
      const fact = JSON.parse(line) as RunFacts | { commits: string[] };
      if ('commits' in fact) commits = fact.commits;
      else runs[fact.run] = fact;
    }
  }, 600_000);
  afterAll(async () => {
    await app?.close();
  });

  it("runs on the branch's commit and records it", () => {
    const first = runs.first!;
    expect(first.result).toBe('FAILED');
    expect(first.used_commit).toBe(commits[0]);
    expect(first.tasks.hello![0]!.logs).toContain('hello from v1');
    expect(first.tasks.check![0]!.logs).toContain('check at v1');
  });

  it('runs a new commit in the next run', () => {
    const second = runs.second!;
    expect(second.result).toBe('SUCCESS');
    expect(second.used_commit).toBe(commits[1]);
    expect(second.tasks.hello![0]!.logs).toContain('hello from v2');
    expect(second.tasks.check![0]!.logs).toContain('check at v2');
  });

  it("repairs a run on that run's commit", () => {
    const repaired = runs.repair!;
    expect(repaired.result).toBe('SUCCESS');
    expect(repaired.used_commit).toBe(commits[0]);
    const checks = repaired.tasks.check!;
    expect(checks).toHaveLength(2);
    expect(checks[1]!.result).toBe('SUCCESS');
    expect(checks[1]!.logs).toContain('check at v1');
  });
});
