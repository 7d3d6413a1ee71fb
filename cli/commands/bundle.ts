// `djobs bundle …`: Databricks Asset Bundles, with the Databricks CLI's verbs and flags
// (`databricks bundle init | validate | deploy | run | destroy | summary`), deployed to the
// Temporal server every other djobs command uses (docs/bundles.md says why).
import os from 'node:os';
import readline from 'node:readline/promises';
import { Option, type Command } from 'commander';
import { DjobsError, NotFoundError } from '../../client';
import { BundleError, renderDiagnostic, Severity, type Diagnostic } from '../../core/bundle/diagnostics';
import { bundleJobId, type DeployOverrides, type ResolvedBundle } from '../../core/bundle/resolve';
import {
  summaryHeader,
  summaryJson,
  summaryText,
  type DeployedJob,
  type SummaryFacts,
} from '../../core/bundle/summary';
import { runNowParameters, type RunFlags } from '../../core/bundle/run-options';
import { parseVarArgs } from '../../core/bundle/variables';
import { bundleWorkspace, deployBundle, destroyBundle, destroyPlan, preventedFromDestroy } from '../../bundles/deploy';
import { initAnswers, initBundle } from '../../bundles/init';
import { readBundle } from '../../bundles/read-bundle';
import { loadConfig } from '../../config';
import { ExitCode } from '../exit-codes';
import { outputFormat, printJson, runCommand, withSession, type OutputFormat } from '../output';
import type { Session } from '../session';
import { followRun } from './follow';

interface TargetOptions {
  target?: string;
  var: string[];
}

/** `bundle deploy`'s own flags, named as the Databricks CLI names them. */
interface DeployFlags extends TargetOptions {
  clusterId?: string;
  computeId?: string;
  failOnActiveRuns?: boolean;
  force?: boolean;
  forceLock?: boolean;
  autoApprove?: boolean;
}

const collect = (v: string, all: string[]) => [...all, v];

/** Who deploys: the user the client creates jobs as (the user running djobs). */
const deployingUser = (): string => os.userInfo().username;

function printDiagnostics(ds: readonly Diagnostic[]): void {
  for (const d of ds) process.stderr.write(`${renderDiagnostic(d)}\n`);
}

/** The bundle for the command's target and variables; its warnings are printed on stderr. */
function bundleFor(
  o: TargetOptions,
  overrides: DeployOverrides = {},
  userName = deployingUser()
): ResolvedBundle & { root: string } {
  const { vars, errors } = parseVarArgs(o.var);
  if (errors.length > 0) throw new DjobsError('INVALID_PARAMETER_VALUE', errors.join('; '));
  const { bundle, root, warnings } = readBundle({
    cwd: process.cwd(),
    ...(o.target !== undefined ? { target: o.target } : {}),
    vars,
    userName,
    overrides,
  });
  printDiagnostics(warnings);
  return { ...bundle, root };
}

/** Run a bundle command: a BundleError prints every problem, as Databricks prints them, and exits 2. */
function bundleCommand(body: () => Promise<number | void>): Promise<void> {
  return runCommand(async () => {
    try {
      return await body();
    } catch (err) {
      if (!(err instanceof BundleError)) throw err;
      printDiagnostics(err.diagnostics);
      const n = err.diagnostics.filter((d) => d.severity === Severity.ERROR).length;
      process.stderr.write(`Found ${n} error${n === 1 ? '' : 's'}\n`);
      return ExitCode.BAD_INPUT;
    }
  });
}

const targetOptions = (cmd: Command): Command =>
  cmd
    .option('-t, --target <target>', 'bundle target to use (default: the one marked default)')
    .option('--var <name=value>', 'set a variable (repeatable)', collect, []);

/** What is deployed of the bundle: its jobs that exist, and jobs of the deployment it no longer has. */
async function deployedFacts(s: Session, b: ResolvedBundle): Promise<SummaryFacts> {
  const deployed = new Map<string, DeployedJob>();
  const plan = await destroyPlan(s.client, workspaceTree(s), b);
  const configured = new Set(b.jobs.map((j) => j.key));
  const stray = new Map<string, DeployedJob & { name: string }>();
  for (const p of plan) {
    const entry = { jobId: p.jobId, url: s.client.jobPageUrl(p.jobId) };
    if (configured.has(p.key)) deployed.set(p.key, entry);
    else stray.set(p.key, { ...entry, name: (await s.client.getJob(p.jobId)).settings.name ?? 'Untitled' });
  }
  return { deployed, stray };
}

const workspaceTree = (s: Session) => bundleWorkspace(s.config.workspaceRoot);

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/n]: `)).trim());
  } finally {
    rl.close();
  }
}

export function configureBundleCommand(program: Command): void {
  const bundle = program
    .command('bundle')
    .description('Databricks Asset Bundles: deploy databricks.yml projects (mirrors the Databricks CLI bundle group)');

  bundle
    .command('init')
    .description('Create a bundle from a template (default-python)')
    .argument('[template]', 'template name', 'default-python')
    .option('--output-dir <dir>', 'folder to create the project in', '.')
    .option('--config-file <file>', 'JSON file with the template answers (project_name, default_catalog)')
    .action(async (template: string, opts: { outputDir: string; configFile?: string }) =>
      runCommand(async () => {
        let dir: string;
        try {
          dir = initBundle(template, {
            outputDir: opts.outputDir,
            answers: initAnswers(opts.configFile),
            userName: deployingUser(),
            workspaceHost: process.env.DATABRICKS_HOST ?? loadConfig().webUiUrl ?? 'http://localhost:8080',
          });
        } catch (err) {
          throw new DjobsError('INVALID_PARAMETER_VALUE', (err as Error).message);
        }
        process.stdout.write(`✨ Your new project has been created in the '${dir}' directory!\n`);
      })
    );

  targetOptions(
    bundle.command('validate').description('Validate the bundle: every problem with its file, line and path')
  ).action(async (opts: TargetOptions, cmd: Command) =>
    bundleCommand(async () => {
      const b = bundleFor(opts);
      if (outputFormat(cmd) === 'json') return printJson(summaryJson(b));
      process.stdout.write(`${summaryHeader(b)}\nValidation OK!\n`);
    })
  );

  targetOptions(
    bundle
      .command('deploy')
      .description('Build, upload and deploy the bundle to the target')
      .option('-c, --cluster-id <id>', 'run every task that names compute on this cluster (a worker pool)')
      .addOption(new Option('--compute-id <id>', 'deprecated: use --cluster-id').hideHelp())
      .option('--fail-on-active-runs', 'stop when a job of the bundle has a run in progress')
      .option('--force', 'deploy from a Git branch other than bundle.git.branch')
      .option('--force-lock', 'accepted for the Databricks CLI: deploys take no lock (concurrent deploys converge)')
      .option('--auto-approve', 'accepted for the Databricks CLI: deploying jobs asks for no approval')
  ).action(async (opts: DeployFlags) =>
    bundleCommand(async () => {
      const clusterId = opts.clusterId ?? opts.computeId;
      const b = bundleFor(opts, {
        ...(clusterId !== undefined ? { clusterId } : {}),
        ...(opts.failOnActiveRuns ? { failOnActiveRuns: true } : {}),
      });
      await withSession(false, async (s) => {
        const log = (line: string) => process.stderr.write(`${line}\n`);
        const ctx = { client: s.client, tree: workspaceTree(s), root: b.root, log };
        const r = await deployBundle(ctx, b, { force: opts.force === true });
        log(`Files: ${r.files.uploaded} uploaded, ${r.files.deleted} deleted`);
        log(
          `Resources: ${r.created.length} created, ${r.changed.length} changed, ${r.deleted.length} deleted, ${r.unchanged.length} unchanged`
        );
        log('Deployment complete!');
      });
    })
  );

  targetOptions(
    bundle
      .command('run')
      .description('Run a deployed job of the bundle and wait for it (exit 0 only on SUCCESS)')
      .argument('[key]', 'resource key of the job (default: the bundle’s only job)')
      .option('--params <k=v,...>', 'job parameters, comma-separated (repeatable)', collect, [])
      .option('--python-params <a,...>', 'parameters of the spark_python_task and python_wheel_task tasks', collect, [])
      .option('--python-named-params <k=v,...>', 'named parameters of the python_wheel_task tasks', collect, [])
      .option('--notebook-params <k=v,...>', 'base parameters of the notebook tasks', collect, [])
      .option('--jar-params <a,...>', 'parameters of the spark_jar_task tasks', collect, [])
      .option('--spark-submit-params <a,...>', 'parameters of the spark_submit_task tasks', collect, [])
      .option('--sql-params <k=v,...>', 'parameters of the sql_task tasks', collect, [])
      .option('--dbt-commands <cmd,...>', 'commands of the dbt_task tasks', collect, [])
      .option('--pipeline-params <k=v,...>', 'refused: durable-jobs runs no pipeline tasks', collect, [])
      .option('--restart', 'cancel the job’s active runs first')
      .option('--no-wait', 'print the run id and return at once')
  ).action(
    async (
      key: string | undefined,
      opts: TargetOptions & RunFlags & { restart?: boolean; wait: boolean },
      cmd: Command
    ) =>
      bundleCommand(async () => {
        const b = bundleFor(opts);
        const keys = b.jobs.map((j) => j.key);
        const chosen = key ?? (keys.length === 1 ? keys[0] : undefined);
        if (chosen === undefined)
          throw new DjobsError(
            'INVALID_PARAMETER_VALUE',
            `expected a KEY of the job to run: one of ${keys.join(', ') || '(the bundle has no jobs)'}`
          );
        const job = b.jobs.find((j) => j.key === chosen);
        if (!job) {
          const skipped = b.skipped.find((s) => s.key === chosen);
          throw new DjobsError(
            'INVALID_PARAMETER_VALUE',
            skipped
              ? `${skipped.kind}.${chosen} is not deployed: durable-jobs deploys jobs only`
              : `no job with key "${chosen}" in the bundle (jobs: ${keys.join(', ') || 'none'})`
          );
        }
        let parameters: ReturnType<typeof runNowParameters>;
        try {
          parameters = runNowParameters(job.settings, opts);
        } catch (err) {
          throw new DjobsError('INVALID_PARAMETER_VALUE', (err as Error).message);
        }
        return withSession(opts.wait, async (s) => {
          const jobId = bundleJobId(b.metadataFilePath, chosen);
          let run_id: number;
          try {
            if (opts.restart)
              for (const r of await s.client.listRuns({ jobId, activeOnly: true, limit: 1000 }))
                await s.client.cancelRun(r.run_id);
            ({ run_id } = await s.client.runNow(jobId, parameters));
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
            throw new DjobsError(
              'RESOURCE_DOES_NOT_EXIST',
              `jobs.${chosen} is not deployed to target ${b.target}: run "djobs bundle deploy${opts.target ? ` -t ${opts.target}` : ''}" first`
            );
          }
          const format: OutputFormat = outputFormat(cmd);
          if (!opts.wait) {
            if (format === 'json') printJson({ run_id });
            else process.stdout.write(`${run_id}\n`);
            return ExitCode.SUCCESS;
          }
          if (format === 'text') process.stderr.write(`Run URL: ${s.client.runPageUrl(run_id)}\n\n`);
          return followRun(s.client, run_id, format);
        });
      })
  );

  targetOptions(
    bundle
      .command('destroy')
      .description("Delete the bundle's deployed jobs and its files in the workspace")
      .option('--auto-approve', 'skip the confirmation')
  ).action(async (opts: TargetOptions & { autoApprove?: boolean }) =>
    bundleCommand(async () => {
      const b = bundleFor(opts);
      return withSession(false, async (s) => {
        const plan = await destroyPlan(s.client, workspaceTree(s), b);
        preventedFromDestroy(
          b,
          plan.map((p) => p.key)
        );
        const out = (line: string) => process.stderr.write(`${line}\n`);
        if (plan.length > 0) {
          out('The following resources will be deleted:');
          for (const p of plan) out(`  delete resources.jobs.${p.key}`);
          out('');
        }
        out(`All files and directories at the following location will be deleted: ${b.workspace.rootPath}\n`);
        if (!opts.autoApprove) {
          if (!process.stdin.isTTY)
            throw new DjobsError(
              'INVALID_PARAMETER_VALUE',
              'please specify --auto-approve to skip interactive confirmation checks for non tty consoles'
            );
          if (!(await confirm('Would you like to proceed?'))) {
            out('Destroy cancelled!');
            return ExitCode.SUCCESS;
          }
        }
        const r = await destroyBundle({ client: s.client, tree: workspaceTree(s), root: b.root, log: out }, b, plan);
        out(`Destroy: ${r.deleted} deleted`);
        return ExitCode.SUCCESS;
      });
    })
  );

  targetOptions(bundle.command('summary').description('Show what the bundle deploys, with job ids and pages')).action(
    async (opts: TargetOptions, cmd: Command) =>
      bundleCommand(async () => {
        const b = bundleFor(opts);
        await withSession(false, async (s) => {
          const facts = await deployedFacts(s, b);
          if (outputFormat(cmd) === 'json') printJson(summaryJson(b, facts));
          else process.stdout.write(summaryText(b, facts));
        });
      })
  );
}
