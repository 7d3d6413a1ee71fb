// The worker process: bundles (or loads) the interpreter once, registers the task activities and
// serves the default task queue, or only one cluster's task queue with `cluster`.
import fs from 'node:fs';
import path from 'node:path';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { createActivities } from '../activities';
import { djobsDataConverter, keyRingOf, workerDataConverter } from '../encryption/data-converter';
import { groupsFromPrincipalsFile } from '../activities/secrets';
import { createPlanningActivities } from '../activities/planning';
import { createGitSourceActivities } from '../activities/git-source';
import { createTriggerActivities } from '../activities/file-stores';
import type { ContainmentChoice } from '../activities/containment';
import type { PythonForkServerOptions } from '../activities/python-fork-servers';
import { realPython } from '../activities/python-interpreter';
import { sandboxSupport, SandboxUnavailableError } from '../activities/sandbox/host';
import { DEFAULT_SANDBOX, type SandboxSettings } from '../activities/sandbox/view';
import { createModelRegistryActivities } from '../activities/model-registry';
import { createNotificationActivities } from '../activities/notifications';
import { clusterTaskQueue, type RunPageLinks } from '../core';
import type {
  NotificationActivities,
  PlanningActivities,
  TaskActivities,
  GitSourceActivities,
  TriggerActivities,
} from '../workflows/definitions';
import { projectRoot } from '../config/project-root';
import { attemptLogInterceptors } from './attempt-log';
import type { EmailConfig } from '../config';

export interface DjobsWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** Default task queue (workflows and tasks without a cluster). @default 'djobs' */
  taskQueue: string;
  /** Serve only this cluster's task queue (`djobs-cluster-<name>`), activities only. */
  cluster?: string;
  /** Data directory: task logs and DuckDB warehouses live under it. */
  dataDir: string;
  /** Path of a prebuilt workflow bundle; found in dist/ or built at start when absent. */
  workflowBundlePath?: string;
  /** Task attempts running at once on this worker. @default 100 */
  maxConcurrentTasks?: number;
  python?: string;
  /** The Python fork server of this worker's Python attempts (docs/task-types.md). @default on, nothing preloaded */
  pythonForkServer?: PythonForkServerOptions;
  /** How task attempts are contained (activities/containment.ts). @default DJOBS_CONTAINMENT, else auto */
  containment?: ContainmentChoice;
  /**
   * How task attempts are sandboxed (activities/sandbox/view.ts). On by default: a worker that
   * cannot sandbox refuses to start (SandboxUnavailableError) unless it is turned off.
   */
  sandbox?: SandboxSettings;
  /** MLflow tracking server given to tasks (MLFLOW_TRACKING_URI in the environment wins). */
  mlflowTrackingUri?: string;
  identity?: string;
  /**
   * Global caps on task attempts running at once per worker pool, across all runs and workers:
   * `default` (tasks on no cluster) or a cluster name → limit. Read by runs as they start.
   */
  poolMaxTasks?: Record<string, number>;
  /** Principals file (DJOBS_API_PRINCIPALS): groups that secret ACLs are checked against at run time. */
  principalsFile?: string;
  /** The workspace root tasks and file-arrival triggers read (DJOBS_WORKSPACE_ROOT). @default `<dataDir>/workspace` */
  workspaceRoot?: string;
  /** Local folders every principal's task paths may name (DJOBS_CODE_ROOTS). */
  codeRoots?: string[];
  /** Payload codec and failure converter (`djobsDataConverter`); default: plain payloads. */
  dataConverter?: DataConverter;
  /**
   * Migration switch (DJOBS_ACCEPT_PLAINTEXT_PAYLOADS): act on payloads that are not encrypted,
   * for runs written before encryption was turned on. Off, an encrypting worker refuses them.
   */
  acceptPlaintextPayloads?: boolean;
  /** Email notifications: SMTP, or (default) `.eml` files in `<dataDir>/outbox`. */
  email?: EmailConfig;
  /** Where run pages are (`run_page_url` of notifications). @default the Temporal UI at http://localhost:8233 */
  runPages?: RunPageLinks;
  /** PagerDuty Events v2 endpoint of PAGERDUTY destinations. @default DJOBS_PAGERDUTY_EVENTS_URL */
  pagerdutyEventsUrl?: string;
  /** Where to write one JSON line per task attempt start and end (worker/attempt-log.ts); default: nowhere. */
  attemptLog?: (line: string) => void;
}

/** The prebuilt bundle written by `npm run build`, if present. */
export function defaultWorkflowBundlePath(): string | undefined {
  const p = path.join(projectRoot(), 'dist', 'workflow-bundle.js');
  return fs.existsSync(p) ? p : undefined;
}

/**
 * How long one workflow activation may run before the SDK's deadlock detector stops it (its
 * default is 5 s). On a loaded machine an activation that launches or collects 1,000 tasks can
 * take that long, and when the detector fires while the activation's microtasks run, Node leaves
 * the worker thread's async-hook stack unbalanced and the whole process dies with "async hook
 * stack has become corrupted" (nodejs/node#38503, temporalio/sdk-typescript#939). Well above any
 * legitimate activation; workers that host our workflows (the bench's too) use it. The SDK reads
 * `isolateExecutionTimeout` from the options (CompiledWorkerOptions) without declaring it in
 * WorkerOptions, so it is spread in rather than written as a literal property.
 */
export const workflowActivationTimeout: { isolateExecutionTimeout: string } = { isolateExecutionTimeout: '60s' };

/**
 * A worker sandboxes its tasks unless told not to; one that cannot (not root, not Linux, a kernel
 * without the namespaces or mount API it needs) refuses to start: SandboxUnavailableError, which
 * says what running without the sandbox would cost. Asked once per process and Python.
 */
export async function ensureSandboxSupport(sandbox: SandboxSettings, python: string | undefined): Promise<void> {
  if (!sandbox.enabled) return;
  const support = await sandboxSupport(await realPython(python ?? process.env.DJOBS_PYTHON ?? 'python3'));
  if (!support.ok) throw new SandboxUnavailableError(support.reason);
}

const workspaceRoot = (opts: DjobsWorkerOptions): string =>
  opts.workspaceRoot ?? process.env.DJOBS_WORKSPACE_ROOT ?? path.join(opts.dataDir, 'workspace');

export async function createDjobsWorker(opts: DjobsWorkerOptions): Promise<Worker> {
  const dataConverter = workerDataConverter(
    opts.dataConverter ?? djobsDataConverter(undefined),
    opts.acceptPlaintextPayloads ?? false
  );
  // The key ring that opens the identities the API seals (none when encryption is off).
  const ring = keyRingOf(dataConverter);
  const sandbox = opts.sandbox ?? DEFAULT_SANDBOX;
  await ensureSandboxSupport(sandbox, opts.python);
  const activities = {
    ...createActivities({
      sandbox,
      dataDir: opts.dataDir,
      ...(opts.python ? { python: opts.python } : {}),
      ...(opts.pythonForkServer ? { pythonForkServer: opts.pythonForkServer } : {}),
      ...(opts.containment ? { containment: opts.containment } : {}),
      ...(opts.mlflowTrackingUri ? { mlflowTrackingUri: opts.mlflowTrackingUri } : {}),
      ...(opts.principalsFile ? { principalsFile: opts.principalsFile } : {}),
      workspaceRoot: workspaceRoot(opts),
      ...(opts.codeRoots ? { codeRoots: opts.codeRoots } : {}),
    }),
    ...createPlanningActivities(opts.namespace, {
      poolMaxTasks: opts.poolMaxTasks ?? {},
      ...(ring ? { ring } : {}),
      groupsOf: groupsFromPrincipalsFile(opts.principalsFile),
    }),
    ...createGitSourceActivities(opts.dataDir),
    ...createTriggerActivities(workspaceRoot(opts)),
    ...createModelRegistryActivities(opts.mlflowTrackingUri ? { mlflowTrackingUri: opts.mlflowTrackingUri } : {}),
    ...createNotificationActivities({
      email: opts.email ?? { from: 'durable-jobs <djobs@localhost>', outbox: path.join(opts.dataDir, 'outbox') },
      runPages: opts.runPages ?? { temporalUiUrl: 'http://localhost:8233', namespace: opts.namespace },
      ...(opts.pagerdutyEventsUrl ? { pagerdutyEventsUrl: opts.pagerdutyEventsUrl } : {}),
    }),
    // The interfaces the workflows call: a drift between them and these implementations fails compilation.
  } satisfies TaskActivities & GitSourceActivities & PlanningActivities & TriggerActivities & NotificationActivities;
  const common: WorkerOptions = {
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.cluster ? clusterTaskQueue(opts.cluster) : opts.taskQueue,
    activities,
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentTasks ?? 100,
    // Cancellation reaches an activity only through heartbeat responses: keep them frequent so a
    // canceled task's processes die within about a second.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: '5s',
    // Also carries the failure converter path into the bundle when bundling from workflowsPath.
    dataConverter,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.attemptLog ? { interceptors: { activity: [attemptLogInterceptors(opts.attemptLog)] } } : {}),
  };
  if (opts.cluster) return Worker.create(common);
  const bundlePath = opts.workflowBundlePath ?? defaultWorkflowBundlePath();
  return Worker.create({
    ...common,
    ...(bundlePath
      ? { workflowBundle: { codePath: bundlePath } }
      : { workflowsPath: require.resolve(path.join(projectRoot(), 'workflows', 'index')) }),
    maxCachedWorkflows: 500,
    ...workflowActivationTimeout,
  });
}
