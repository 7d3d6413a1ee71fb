// `bundle deploy` and `bundle destroy`. A deployment is identified by its metadata file path
// (`${workspace.state_path}/metadata.json`, in every job's `deployment`), and each of its jobs has
// the id derived from that path and its resource key (`bundleJobId`): a deploy reads each job by
// that id (strongly consistent in Temporal), creates it or replaces its settings, and deletes the
// deployment's jobs the configuration no longer has (named by the last deploy's metadata file in
// the workspace, or listed by Temporal). Nothing is kept on the deploying machine, so any machine
// deploying the bundle finds the same jobs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NotFoundError, type DurableJobsClient, type Job } from '../client';
import { replaceAccess, type AccessControlEntry, type JobAccess } from '../core';
import { BundleError, errorAt } from '../core/bundle/diagnostics';
import { bundleJobId, type BundleJob, type ResolvedBundle } from '../core/bundle/resolve';
import type { Permission } from '../core/bundle/schema';
import { getIn, toPlain } from '../core/bundle/value';
import { WorkspaceTree } from '../workspace/tree';
import { buildAndPlanLibraries } from './artifacts';
import { filesToSync, removeFolder, syncFiles, uploadFile, workspaceRootPath } from './sync';

export interface DeployContext {
  client: DurableJobsClient;
  tree: WorkspaceTree;
  /** The bundle's folder. */
  root: string;
  /** Progress lines (the Databricks CLI prints them on stderr). */
  log: (line: string) => void;
}

/** The workspace tree a deploy writes into (cli/ reaches workspace/ through bundles/, never directly). */
export const bundleWorkspace = (workspaceRoot: string): WorkspaceTree => new WorkspaceTree(workspaceRoot);

/** Key order does not matter when comparing settings. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])])
    );
  return v;
}
const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

export const aclOf = (permissions: readonly Permission[]): AccessControlEntry[] =>
  permissions.map(({ level, ...who }) => ({ ...who, permission_level: level }));

/** The job with this id, or undefined when there is none. */
async function findJob(client: DurableJobsClient, jobId: number): Promise<Job | undefined> {
  try {
    return await client.getJob(jobId);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

const deploymentOf = (settings: Job['settings']): string | undefined =>
  (settings.deployment as { metadata_file_path?: string } | undefined)?.metadata_file_path;

/** The resource keys the deployment's last metadata file names (written by the last deploy, from any machine). */
function previousKeys(tree: WorkspaceTree, b: ResolvedBundle): string[] {
  const file = tree.diskPath(workspaceRootPath(b.metadataFilePath));
  try {
    const body = JSON.parse(fs.readFileSync(file, 'utf8')) as { config?: { resources?: { jobs?: object } } };
    return Object.keys(body.config?.resources?.jobs ?? {});
  } catch {
    return [];
  }
}

/**
 * The jobs of a deployment that no resource of `keep` names: those the last deploy's metadata
 * names, read by id (exact), and those Temporal's listing index has for the deployment (it follows
 * a change within about a second, and finds jobs whose metadata was lost); each one created by a
 * deploy of this deployment, with the id its key gives.
 */
async function strayJobs(
  client: DurableJobsClient,
  tree: WorkspaceTree,
  b: ResolvedBundle,
  keep: ReadonlySet<number>
): Promise<{ key: string; jobId: number }[]> {
  const found = new Map<number, string>();
  for (const key of previousKeys(tree, b)) {
    const jobId = bundleJobId(b.metadataFilePath, key);
    if (keep.has(jobId)) continue;
    const job = await findJob(client, jobId);
    if (job && deploymentOf(job.settings) === b.metadataFilePath) found.set(jobId, key);
  }
  for (const j of await client.listBundleJobs(b.metadataFilePath))
    if (
      !keep.has(j.job_id) &&
      j.resource_key !== undefined &&
      bundleJobId(b.metadataFilePath, j.resource_key) === j.job_id
    )
      found.set(j.job_id, j.resource_key);
  return [...found].map(([jobId, key]) => ({ key, jobId }));
}

export interface DeployResult {
  created: string[];
  changed: string[];
  unchanged: string[];
  deleted: string[];
  files: { uploaded: number; deleted: number };
}

async function applyJob(
  ctx: DeployContext,
  b: ResolvedBundle,
  job: BundleJob
): Promise<'created' | 'changed' | 'unchanged'> {
  const { client } = ctx;
  const existing = await findJob(client, job.jobId);
  const acl = aclOf(job.permissions);
  if (!existing) {
    try {
      await client.createJob(job.settings, {
        jobId: job.jobId,
        bundleResourceKey: job.key,
        ...(acl.length > 0 ? { accessControlList: acl } : {}),
      });
      return 'created';
    } catch (err) {
      // Another machine deploying the same bundle created it a moment ago: update it instead.
      if ((err as { code?: string }).code !== 'RESOURCE_ALREADY_EXISTS') throw err;
    }
  }
  const current = existing ?? (await client.getJob(job.jobId));
  if (deploymentOf(current.settings) !== b.metadataFilePath)
    throw new BundleError([
      errorAt(
        `job ${job.jobId} exists and does not belong to this deployment (its deployment is ${deploymentOf(current.settings) ?? 'none'}); delete it or change the bundle's workspace.state_path`,
        b.config,
        ['resources', 'jobs', job.key]
      ),
    ]);
  const access: JobAccess = await client.getJobAccess(job.jobId);
  const wanted = replaceAccess(access, acl);
  const settingsSame = same(current.settings, job.settings);
  const accessSame = same(access, wanted);
  if (!settingsSame) await client.resetJob(job.jobId, job.settings);
  if (!accessSame) await client.setJobAccess(job.jobId, wanted);
  return settingsSame && accessSame ? 'unchanged' : 'changed';
}

/**
 * Build, upload, sync and apply the bundle's jobs; the lines Databricks prints go to `ctx.log`.
 * `force` (`deploy --force`) deploys from a branch other than the configured `bundle.git.branch`.
 */
export async function deployBundle(
  ctx: DeployContext,
  b: ResolvedBundle,
  opts: { force?: boolean } = {}
): Promise<DeployResult> {
  if (!opts.force) checkBranch(b);
  if (b.failOnActiveRuns) await failOnActiveRuns(ctx.client, b);
  const plan = await buildAndPlanLibraries(b, ctx.log);
  for (const [local, remote] of plan.uploads) {
    ctx.log(`Uploading ${path.relative(ctx.root, local)}...`);
    uploadFile(ctx.tree, local, remote);
  }
  ctx.log(`Uploading bundle files to ${b.workspace.filePath}...`);
  const files = syncFiles(ctx.tree, ctx.root, filesToSync(ctx.root, b.sync), b.workspace.filePath);
  const result: DeployResult = { created: [], changed: [], unchanged: [], deleted: [], files };
  for (const job of plan.jobs) {
    const outcome = await applyJob(ctx, b, job);
    result[outcome].push(job.key);
    if (outcome === 'created') ctx.log(`Created jobs.${job.key}`);
    if (outcome === 'changed') ctx.log(`Updated jobs.${job.key}`);
  }
  for (const stray of await strayJobs(ctx.client, ctx.tree, b, new Set(plan.jobs.map((j) => j.jobId)))) {
    await ctx.client.deleteJob(stray.jobId);
    result.deleted.push(stray.key);
    ctx.log(`Deleted jobs.${stray.key}`);
  }
  writeMetadata(ctx, b, plan.jobs);
  return result;
}

/** A bundle that names its Git branch deploys from a checkout of that branch, as Databricks checks. */
function checkBranch(b: ResolvedBundle): void {
  const { configured, actual } = b.branch;
  if (configured && actual && configured !== actual)
    throw new BundleError([
      errorAt(
        `not on the right Git branch:\n  expected according to configuration: ${configured}\n  actual: ${actual}\nuse --force to override`,
        b.config,
        ['bundle', 'git', 'branch']
      ),
    ]);
}

/** `bundle.deployment.fail_on_active_runs`: a job of the bundle with a run in progress stops the deploy. */
async function failOnActiveRuns(client: DurableJobsClient, b: ResolvedBundle): Promise<void> {
  const busy: string[] = [];
  for (const j of b.jobs) {
    const runs = await client.listRuns({ jobId: j.jobId, activeOnly: true, limit: 1 });
    if (runs.length > 0) busy.push(`${j.key} (run ${runs[0]!.run_id})`);
  }
  if (busy.length > 0)
    throw new BundleError([
      errorAt(
        `deployment aborted, jobs are running: ${busy.join(', ')} (bundle.deployment.fail_on_active_runs is set)`,
        b.config,
        ['bundle', 'deployment', 'fail_on_active_runs']
      ),
    ]);
}

/**
 * Databricks' deployment metadata file (`deployment.metadata_file_path` names it): what was
 * deployed and from which files. The next deploy reads its keys to find removed jobs; whether
 * each is the deployment's is still asked of the job itself.
 */
function writeMetadata(ctx: DeployContext, b: ResolvedBundle, jobs: readonly BundleJob[]): void {
  const gitNode = getIn(b.config, ['bundle', 'git']);
  const git = gitNode ? toPlain(gitNode) : undefined;
  const body = {
    version: 1,
    config: {
      bundle: { name: b.name, target: b.target, ...(git ? { git } : {}) },
      workspace: { file_path: b.workspace.filePath },
      resources: {
        jobs: Object.fromEntries(
          jobs.map((j) => [j.key, { id: String(j.jobId), ...(j.location ? { relative_path: j.location.file } : {}) }])
        ),
      },
    },
  };
  const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-bundle-')), 'metadata.json');
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`);
    uploadFile(ctx.tree, tmp, b.metadataFilePath);
  } finally {
    fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
  }
}

/** Jobs whose `lifecycle.prevent_destroy` forbids deleting them: an error naming each. */
export function preventedFromDestroy(b: ResolvedBundle, keys: readonly string[]): void {
  const prevented = b.jobs.filter((j) => j.preventDestroy && keys.includes(j.key));
  if (prevented.length > 0)
    throw new BundleError(
      prevented.map((j) =>
        errorAt(`resources.jobs.${j.key} has lifecycle.prevent_destroy set: remove it to destroy the job`, b.config, [
          'resources',
          'jobs',
          j.key,
          'lifecycle',
          'prevent_destroy',
        ])
      )
    );
}

/** What destroy removes: the deployment's jobs (by key) and its root folder. */
export async function destroyPlan(
  client: DurableJobsClient,
  tree: WorkspaceTree,
  b: ResolvedBundle
): Promise<{ key: string; jobId: number }[]> {
  const out: { key: string; jobId: number }[] = [];
  for (const j of b.jobs) {
    const existing = await findJob(client, j.jobId);
    if (existing && deploymentOf(existing.settings) === b.metadataFilePath) out.push({ key: j.key, jobId: j.jobId });
  }
  out.push(...(await strayJobs(client, tree, b, new Set(out.map((o) => o.jobId)))));
  return out;
}

/** Delete the planned jobs and the deployment's folder. */
export async function destroyBundle(
  ctx: DeployContext,
  b: ResolvedBundle,
  jobs: readonly { key: string; jobId: number }[]
): Promise<{ deleted: number; folder: boolean }> {
  for (const j of jobs) {
    try {
      await ctx.client.deleteJob(j.jobId);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  return { deleted: jobs.length, folder: removeFolder(ctx.tree, b.workspace.rootPath) };
}
