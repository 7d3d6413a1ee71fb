// Databricks Asset Bundles end to end, as a user runs them: `djobs bundle …` processes on
// examples/bundle (what `djobs bundle init default-python` makes) against the test server, with
// its real wheel build (uv), workspace sync, deploys to dev and prod, a run whose wheel entry
// point and notebook both run, redeploys that update in place and delete removed jobs, a second
// checkout agreeing with the first, and destroy.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../client';
import { NotFoundError } from '../../client';
import { engineEnv, useApiServer, useEngine, waitFor } from './harness';
import type { Result } from './processes';

const execFileAsync = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli', 'index.js');
const example = path.join(root, 'examples', 'bundle');

interface Summary {
  workspace: { root_path: string; file_path: string; artifact_path: string };
  resources: { jobs: Record<string, { id?: string; url?: string; name: string; modified_status?: string }> };
}

/** Every file of a folder, relative, sorted. */
function filesOf(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('djobs bundle', () => {
  const engine = useEngine('bundle');
  const api = useApiServer(engine, [{ who: 'alice' }]);
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    env = engineEnv(engine);
  });

  function djobs(cwd: string, args: string[], timeoutMs = 240_000): Promise<Result> {
    return new Promise((resolve) =>
      execFile(process.execPath, [cli, ...args], { cwd, env, timeout: timeoutMs }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
      )
    );
  }
  async function ok(cwd: string, args: string[]): Promise<Result> {
    const r = await djobs(cwd, args);
    expect(r.code, `djobs ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  }
  const summary = async (cwd: string, target: string) =>
    JSON.parse((await ok(cwd, ['bundle', 'summary', '-t', target, '-o', 'json'])).stdout) as Summary;
  const jobOf = async (s: Summary, key: string): Promise<Job> =>
    engine.client.getJob(Number(s.resources.jobs[key]!.id));
  const workspaceFile = (p: string) => path.join(engine.dataDir, 'workspace', p);

  it('init default-python makes examples/bundle', async () => {
    const out = path.join(engine.workDir, 'init');
    fs.mkdirSync(out);
    const r = await ok(out, ['bundle', 'init', 'default-python']);
    expect(r.stdout).toContain("Your new project has been created in the 'my_project' directory!");
    const made = path.join(out, 'my_project');
    expect(filesOf(made)).toEqual(filesOf(example));
    // The uuid is new for every project; the user is whoever runs init (examples/bundle was made by root).
    const normal = (text: string, user: string) =>
      text
        .replace(/uuid: [0-9a-f-]+/, 'uuid: U')
        .replaceAll(`/Users/${user}/`, '/Users/U/')
        .replaceAll(`: ${user}\n`, ': U\n')
        .replaceAll(`"${user}"`, '"U"');
    for (const f of filesOf(example))
      expect(normal(fs.readFileSync(path.join(made, f), 'utf8'), os.userInfo().username), f).toBe(
        normal(fs.readFileSync(path.join(example, f), 'utf8'), 'root')
      );
    const again = await djobs(out, ['bundle', 'init', 'default-python']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('my_project already exists');
  });

  it('validate, deploy to dev, run, redeploy in place, delete a removed job, deploy to prod, destroy', async () => {
    const proj = path.join(engine.workDir, 'proj');
    fs.cpSync(example, proj, { recursive: true });
    const user = os.userInfo().username;

    const valid = await ok(proj, ['bundle', 'validate']);
    expect(valid.stdout).toBe(
      `Name: my_project\nTarget: dev\nWorkspace:\n  Host: http://localhost:8080\n  User: ${user}\n  Path: /Workspace/Users/${user}/.bundle/my_project/dev\n\nValidation OK!\n`
    );

    // Deploy to dev: the wheel built and uploaded, the files synced, the job created with its name
    // prefixed, its trigger paused and its environment naming the uploaded wheel.
    const deployed = await ok(proj, ['bundle', 'deploy']);
    expect(deployed.stderr).toContain('Building python_artifact...');
    expect(deployed.stderr).toContain('Uploading dist/my_project-0.0.1-py3-none-any.whl...');
    expect(deployed.stderr).toContain('Created jobs.sample_job');
    expect(deployed.stderr).toContain('Resources: 1 created, 0 changed, 0 deleted, 0 unchanged');
    const dev = await summary(proj, 'dev');
    const rootPath = `/Workspace/Users/${user}/.bundle/my_project/dev`;
    const text = (await ok(proj, ['bundle', 'summary'])).stdout;
    expect(dev.workspace.root_path).toBe(rootPath);
    const job = await jobOf(dev, 'sample_job');
    expect(job.settings.name).toBe(`[dev ${user}] sample_job`);
    expect(job.settings.trigger).toEqual({ periodic: { interval: 1, unit: 'DAYS' }, pause_status: 'PAUSED' });
    expect(await engine.client.nextScheduledRuns(job.job_id)).toEqual([]);
    expect(job.settings.max_concurrent_runs).toBe(4);
    const wheel = `${rootPath}/artifacts/.internal/my_project-0.0.1-py3-none-any.whl`;
    expect(job.settings.environments).toEqual([
      { environment_key: 'default', spec: { environment_version: '4', dependencies: [wheel] } },
    ]);
    expect(fs.existsSync(workspaceFile(wheel))).toBe(true);
    expect(job.settings.tasks.map((t) => t.notebook_task?.notebook_path)).toContain(
      `${rootPath}/files/src/sample_notebook`
    );
    expect(fs.existsSync(workspaceFile(`${rootPath}/files/src/sample_notebook.ipynb`))).toBe(true);
    expect(fs.existsSync(workspaceFile(`${rootPath}/files/dist`))).toBe(false); // .gitignore'd
    expect(dev.resources.jobs.sample_job!.url).toBe(engine.client.jobPageUrl(job.job_id));
    expect(text).toContain(
      `    sample_job:\n      Name: [dev ${user}] sample_job\n      ID:   ${job.job_id}\n      URL:  ${engine.client.jobPageUrl(job.job_id)}\n`
    );
    // An ordinary job: the REST API lists and reads it as Databricks shows a bundle's job.
    const listed = await api.as('admin')('GET', `/api/2.2/jobs/list?name=${encodeURIComponent(job.settings.name!)}`);
    expect((listed.body.jobs as { job_id: number }[]).map((j) => j.job_id)).toEqual([job.job_id]);
    const got = await api.as('admin')('GET', `/api/2.2/jobs/get?job_id=${job.job_id}`);
    expect((got.body.settings as Job['settings']).deployment).toEqual({
      kind: 'BUNDLE',
      metadata_file_path: `${rootPath}/state/metadata.json`,
    });
    expect((got.body.settings as Job['settings']).edit_mode).toBe('UI_LOCKED');

    // Run: the notebook, then the wheel's entry point, each with the target's variables.
    const run = await ok(proj, ['bundle', 'run', 'sample_job', '-o', 'json']);
    const runId = (JSON.parse(run.stdout) as { run_id: number; state: { result_state: string } }).run_id;
    const notebook = await engine.client.getRunOutput(runId, 'notebook_task');
    expect(notebook.logs).toContain(`notebook_task: catalog=main schema=${user}`);
    expect(notebook.logs).toContain('notebook_task: 5 trips, 30.3 miles in total');
    const wheelTask = await engine.client.getRunOutput(runId, 'python_wheel_task');
    expect(wheelTask.logs).toContain(`python_wheel_task: catalog=main schema=${user}`);
    expect(wheelTask.logs).toContain('11430 -> 10023: 17.1 miles');

    // Change a task and redeploy: the same job, its new settings.
    const jobFile = path.join(proj, 'resources', 'sample_job.job.yml');
    fs.writeFileSync(
      jobFile,
      fs
        .readFileSync(jobFile, 'utf8')
        .replace("              - '--catalog'", "              - '--catalog'\n              - 'changed'")
    );
    fs.writeFileSync(
      jobFile,
      fs
        .readFileSync(jobFile, 'utf8')
        .replace(
          '        - task_key: python_wheel_task\n',
          '        - task_key: python_wheel_task\n          timeout_seconds: 600\n'
        )
    );
    const redeployed = await ok(proj, ['bundle', 'deploy']);
    expect(redeployed.stderr).toContain('Resources: 0 created, 1 changed, 0 deleted, 0 unchanged');
    const changed = await engine.client.getJob(job.job_id);
    const wheelSettings = changed.settings.tasks.find((t) => t.task_key === 'python_wheel_task')!;
    expect(wheelSettings.timeout_seconds).toBe(600);
    expect(wheelSettings.python_wheel_task!.parameters).toEqual(['--catalog', 'changed', 'main', '--schema', user]);

    // A second checkout of the same bundle (another machine) finds the same job: nothing to create.
    const other = path.join(engine.workDir, 'other-machine');
    fs.cpSync(proj, other, { recursive: true });
    fs.rmSync(path.join(other, 'dist'), { recursive: true, force: true });
    const fromOther = await ok(other, ['bundle', 'deploy']);
    expect(fromOther.stderr).toContain('Resources: 0 created, 0 changed, 0 deleted, 1 unchanged');

    // Add a job, deploy, remove it, deploy: it is deleted.
    fs.writeFileSync(
      path.join(proj, 'resources', 'extra.job.yml'),
      'resources:\n  jobs:\n    extra_job:\n      name: extra\n      tasks:\n        - task_key: hello\n          notebook_task:\n            notebook_path: ../src/sample_notebook.ipynb\n'
    );
    expect((await ok(proj, ['bundle', 'deploy'])).stderr).toContain('Created jobs.extra_job');
    const extraId = Number((await summary(proj, 'dev')).resources.jobs.extra_job!.id);
    expect((await engine.client.getJob(extraId)).settings.name).toBe(`[dev ${user}] extra`);
    fs.rmSync(path.join(proj, 'resources', 'extra.job.yml'));
    const removed = await ok(proj, ['bundle', 'deploy']);
    expect(removed.stderr).toContain('Deleted jobs.extra_job');
    expect(removed.stderr).toContain('Resources: 0 created, 0 changed, 1 deleted, 1 unchanged');
    await expect(engine.client.getJob(extraId)).rejects.toBeInstanceOf(NotFoundError);

    // Prod: its own root path, no prefix, the trigger as written, the permissions of the target.
    expect((await ok(proj, ['bundle', 'deploy', '-t', 'prod'])).stderr).toContain('Created jobs.sample_job');
    const prod = await summary(proj, 'prod');
    const prodJob = await jobOf(prod, 'sample_job');
    expect(prodJob.job_id).not.toBe(job.job_id);
    expect(prodJob.settings.name).toBe('sample_job');
    expect(prodJob.settings.trigger).toEqual({ periodic: { interval: 1, unit: 'DAYS' } });
    expect(prod.workspace.root_path).toBe('/Workspace/Users/root/.bundle/my_project/prod');
    // The target grants root CAN_MANAGE: a grant, or root owns the job already (it deployed it).
    const access = await engine.client.getJobAccess(prodJob.job_id);
    expect([
      ...('user_name' in access.owner ? [access.owner.user_name] : []),
      ...access.grants.filter((g) => g.permission_level === 'CAN_MANAGE').map((g) => g.user_name),
    ]).toContain('root');

    // Destroy asks first; --auto-approve removes exactly the target's jobs and files.
    const asked = await djobs(proj, ['bundle', 'destroy', '-t', 'prod']);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain('  delete resources.jobs.sample_job');
    expect(asked.stderr).toContain('please specify --auto-approve');
    const destroyed = await ok(proj, ['bundle', 'destroy', '-t', 'prod', '--auto-approve']);
    expect(destroyed.stderr).toContain('Destroy: 1 deleted');
    await expect(engine.client.getJob(prodJob.job_id)).rejects.toBeInstanceOf(NotFoundError);
    expect(fs.existsSync(workspaceFile('/Workspace/Users/root/.bundle/my_project/prod'))).toBe(false);
    expect((await engine.client.getJob(job.job_id)).settings.name).toBe(`[dev ${user}] sample_job`);
    await ok(proj, ['bundle', 'destroy', '--auto-approve']);
    await expect(engine.client.getJob(job.job_id)).rejects.toBeInstanceOf(NotFoundError);
    expect(fs.existsSync(workspaceFile(rootPath))).toBe(false);
    const after = await summary(proj, 'dev');
    expect(after.resources.jobs.sample_job!.modified_status).toBe('created');
    expect((await ok(proj, ['bundle', 'summary'])).stdout).toContain(
      '  Jobs:\n    sample_job:\n      Name: [dev ' + user + '] sample_job\n      URL:  (not deployed)\n'
    );
  });

  it("deploy's flags, prevent_destroy, and removed jobs found with or without the deployment's metadata", async () => {
    const proj = path.join(engine.workDir, 'flags');
    const user = os.userInfo().username;
    fs.mkdirSync(path.join(proj, 'resources'), { recursive: true });
    const config = (more = '') => `bundle:\n  name: flags\n${more}include:\n  - resources/*.yml\n`;
    fs.writeFileSync(path.join(proj, 'databricks.yml'), config());
    const jobs = (lifecycle: string) =>
      `resources:\n  jobs:\n    busy:\n      name: busy\n      tasks:\n        - task_key: wait\n          shell_command_task:\n            command: sleep 300\n    pinned:\n      name: pinned\n${lifecycle}      tasks:\n        - task_key: t\n          existing_cluster_id: small\n          shell_command_task:\n            command: 'true'\n`;
    const jobFile = path.join(proj, 'resources', 'jobs.yml');
    fs.writeFileSync(jobFile, jobs('      lifecycle:\n        prevent_destroy: true\n'));
    const state = `/Workspace/Users/${user}/.bundle/flags/default/state/metadata.json`;
    const idOf = async (key: string) => Number((await summary(proj, 'default')).resources.jobs[key]!.id);
    const clusterOf = async (key: string) =>
      (await engine.client.getJob(await idOf(key))).settings.tasks.map((t) => t.existing_cluster_id);

    // -c moves every task that names compute to that cluster; without it the configuration's again.
    await ok(proj, ['bundle', 'deploy', '-c', 'gpu']);
    expect(await clusterOf('pinned')).toEqual(['gpu']);
    expect(await clusterOf('busy')).toEqual([undefined]);
    expect((await ok(proj, ['bundle', 'deploy'])).stderr).toContain(
      'Resources: 0 created, 1 changed, 0 deleted, 1 unchanged'
    );
    expect(await clusterOf('pinned')).toEqual(['small']);

    // --fail-on-active-runs stops the deploy while busy runs, and not once it ended (run --restart
    // cancels the active run before starting another; parameters must fit the job).
    const busyId = await idOf('busy');
    const runId = Number((await ok(proj, ['bundle', 'run', 'busy', '--no-wait'])).stdout.trim());
    const activeRuns = () => engine.client.listRuns({ jobId: busyId, activeOnly: true });
    await waitFor(async () => (await activeRuns()).some((r) => r.run_id === runId), 'the run listed as active');
    const stopped = await djobs(proj, ['bundle', 'deploy', '--fail-on-active-runs']);
    expect(stopped.code, stopped.stderr).toBe(2);
    expect(stopped.stderr).toContain(
      `Error: deployment aborted, jobs are running: busy (run ${runId}) (bundle.deployment.fail_on_active_runs is set)`
    );
    const refused = await djobs(proj, ['bundle', 'run', 'busy', '--params', 'x=1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'the job to run does not define job parameters; specifying job parameters is not allowed'
    );
    const second = Number((await ok(proj, ['bundle', 'run', 'busy', '--restart', '--no-wait'])).stdout.trim());
    expect(second).not.toBe(runId);
    await waitFor(
      async () => (await engine.client.getRun(runId)).state.result_state === 'CANCELED',
      'the first run canceled'
    );
    await engine.client.cancelRun(second);
    await waitFor(async () => (await activeRuns()).length === 0, 'no active run listed');
    await ok(proj, ['bundle', 'deploy', '--fail-on-active-runs']);

    // A bundle that names its branch deploys from that branch, or with --force.
    const git = (...args: string[]) =>
      execFileAsync('git', ['-C', proj, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args]);
    await git('init', '-q', '-b', 'feature');
    await git('commit', '-q', '--allow-empty', '-m', 'start');
    fs.writeFileSync(path.join(proj, 'databricks.yml'), config('  git:\n    branch: main\n'));
    const wrongBranch = await djobs(proj, ['bundle', 'deploy']);
    expect(wrongBranch.code).toBe(2);
    expect(wrongBranch.stderr).toContain(
      'Error: not on the right Git branch:\n  expected according to configuration: main\n  actual: feature\nuse --force to override\n  at bundle.git.branch\n  in databricks.yml:4:5\n'
    );
    await ok(proj, ['bundle', 'deploy', '--force']);

    // A removed job is deleted at once (the last deploy's metadata names it), and also when that
    // file is lost (Temporal's listing of the deployment's jobs finds it).
    const extraFile = path.join(proj, 'resources', 'extra.yml');
    const extra = (key: string) =>
      `resources:\n  jobs:\n    ${key}:\n      name: ${key}\n      tasks:\n        - task_key: t\n          shell_command_task:\n            command: 'true'\n`;
    for (const key of ['extra_a', 'extra_b']) {
      fs.writeFileSync(extraFile, extra(key));
      await ok(proj, ['bundle', 'deploy', '--force']);
      const extraId = await idOf(key);
      fs.rmSync(extraFile);
      if (key === 'extra_b') {
        fs.rmSync(workspaceFile(state));
        await waitFor(
          async () => (await engine.client.listBundleJobs(state)).some((j) => j.job_id === extraId),
          'the job listed for its deployment'
        );
      }
      const removed = await ok(proj, ['bundle', 'deploy', '--force']);
      expect(removed.stderr).toContain(`Deleted jobs.${key}`);
      await expect(engine.client.getJob(extraId)).rejects.toBeInstanceOf(NotFoundError);
    }

    // lifecycle.prevent_destroy stops destroy, naming the job and where the setting is.
    const pinnedId = await idOf('pinned');
    const prevented = await djobs(proj, ['bundle', 'destroy', '--auto-approve']);
    expect(prevented.code).toBe(2);
    expect(prevented.stderr).toContain(
      'Error: resources.jobs.pinned has lifecycle.prevent_destroy set: remove it to destroy the job\n  at resources.jobs.pinned.lifecycle.prevent_destroy\n  in resources/jobs.yml:'
    );
    expect((await engine.client.getJob(pinnedId)).settings.name).toBe('pinned');
    fs.writeFileSync(jobFile, jobs(''));
    expect((await ok(proj, ['bundle', 'destroy', '--auto-approve'])).stderr).toContain('Destroy: 2 deleted');
    await expect(engine.client.getJob(pinnedId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('run exits non-zero when the run does not succeed; problems exit 2 with file, line and path', async () => {
    const proj = path.join(engine.workDir, 'failing');
    fs.mkdirSync(path.join(proj, 'resources'), { recursive: true });
    fs.writeFileSync(path.join(proj, 'databricks.yml'), 'bundle:\n  name: failing\ninclude:\n  - resources/*.yml\n');
    fs.writeFileSync(
      path.join(proj, 'resources', 'fail.job.yml'),
      'resources:\n  jobs:\n    fail:\n      name: fail\n      tasks:\n        - task_key: boom\n          shell_command_task:\n            command: exit 3\n'
    );
    const early = await djobs(proj, ['bundle', 'run', 'fail']);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain(
      'Error: jobs.fail is not deployed to target default: run "djobs bundle deploy" first'
    );
    await ok(proj, ['bundle', 'deploy']);
    const r = await djobs(proj, ['bundle', 'run', 'fail']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Run URL: /);
    expect(r.stdout).toContain('FAILED');
    await ok(proj, ['bundle', 'destroy', '--auto-approve']);

    fs.writeFileSync(
      path.join(proj, 'resources', 'fail.job.yml'),
      'resources:\n  jobs:\n    fail:\n      name: fail\n      tasks:\n        - task_key: boom\n          shell_command_task:\n            comand: exit 3\n'
    );
    const bad = await djobs(proj, ['bundle', 'validate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'Error: unknown field "comand"\n  at resources.jobs.fail.tasks[0].shell_command_task.comand\n  in resources/fail.job.yml:8:13\n'
    );
  });
});
