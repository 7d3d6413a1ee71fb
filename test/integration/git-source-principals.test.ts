// git_source for a principal who may not name the server's files (a non-admin of the principals
// file, docs/workspace.md): the run's checkout is its task's code all the same, a `%run` of a
// sibling notebook included, but a symlink of the repository cannot lead out of the checkout.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { callAs, latestByKey, principalTokens, useEngine, writePrincipalsFile, type ApiCall } from './harness';

const principalsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-principals-'));
const principalsFile = writePrincipalsFile(principalsDir, [{ who: 'alice' }]);

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd });

describe('git_source run as a non-admin', () => {
  const engine = useEngine('git source principals', { principalsFile });
  let app: FastifyInstance;
  let alice: ApiCall;
  let repo: string;
  beforeAll(async () => {
    repo = path.join(engine.workDir, 'repo.git');
    const clone = path.join(engine.workDir, 'clone');
    git(engine.workDir, 'init', '-q', '--bare', '-b', 'main', repo);
    git(engine.workDir, 'clone', '-q', repo, clone);
    fs.mkdirSync(path.join(clone, 'notebooks'));
    const notebook = (...cells: string[]) =>
      `# Databricks notebook source\n${cells.join('\n\n# COMMAND ----------\n\n')}\n`;
    fs.writeFileSync(path.join(clone, 'notebooks', 'helper.py'), notebook('GREETING = "hello from helper"'));
    fs.writeFileSync(
      path.join(clone, 'notebooks', 'main.py'),
      notebook('# MAGIC %run ./helper', 'print("main sees", GREETING)')
    );
    fs.writeFileSync(path.join(clone, 'notebooks', 'leaky.py'), notebook('# MAGIC %run ../leak'));
    // A file of the server's that alice may not name, and the repository's symlink to it.
    const secret = path.join(engine.workDir, 'secret.py');
    fs.writeFileSync(secret, 'print("SECRET of the server")\n');
    fs.symlinkSync(secret, path.join(clone, 'leak.py'));
    git(clone, 'add', '.');
    git(clone, 'commit', '-qm', 'first');
    git(clone, 'push', '-q', 'origin', 'main');
    app = await createApiServer({
      client: engine.client,
      tokens: principalTokens(principalsFile),
      workspaceDir: engine.workDir,
      workspaceRoot: path.join(engine.dataDir, 'workspace'),
      codeRoots: [],
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    alice = callAs(() => base, 'alice');
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(principalsDir, { recursive: true, force: true });
  });

  it("runs the checkout's notebooks and refuses a symlink out of it", async () => {
    const submitted = await alice('POST', '/api/2.1/jobs/runs/submit', {
      run_name: 'git as alice',
      git_source: { git_url: `file://${repo}`, git_provider: 'gitHub', git_branch: 'main' },
      tasks: [
        { task_key: 'main', notebook_task: { notebook_path: 'notebooks/main' } },
        { task_key: 'leak', spark_python_task: { python_file: 'leak.py', source: 'GIT' } },
        { task_key: 'leaky', notebook_task: { notebook_path: 'notebooks/leaky' } },
      ],
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
    const runId = submitted.body.run_id as number;
    const run = await engine.client.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run.run_as_user_name).toBe('alice@example.com');
    const tasks = latestByKey(run);
    const logs = async (key: string) => {
      const out = await alice('GET', `/api/2.1/jobs/runs/get-output?run_id=${tasks[key]!.run_id}`);
      const { logs = '', error = '' } = out.body as { logs?: string; error?: string };
      return `${logs}\n${error}`;
    };
    expect(tasks.main!.state.result_state, await logs('main')).toBe('SUCCESS');
    expect(await logs('main')).toContain('main sees hello from helper');
    expect(tasks.leak!.state.result_state).toBe('FAILED');
    expect(await logs('leak')).toMatch(/Python file .*leak\.py does not exist\./);
    expect(tasks.leaky!.state.result_state).toBe('FAILED');
    expect(await logs('leaky')).toContain('does not exist');
    for (const key of ['leak', 'leaky']) expect(await logs(key)).not.toContain('SECRET');
  }, 180_000);
});
