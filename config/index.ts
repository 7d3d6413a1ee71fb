// Configuration from the environment, parsed by one zod schema: every variable the engine's
// settings come from, with its default. docs/configuration.md lists them (a unit test keeps it
// complete) beside the few read elsewhere (the API's token, containment, S3, the installers).
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { TriggerTiming } from '../core';
import { DjobsError, ErrorCode } from '../core/errors';
import { installedMlflowPython } from './project-root';
import { DEFAULT_TASK_UID_BASE, TASK_UID_COUNT, type SandboxSettings } from './sandbox';

/** PagerDuty's Events API v2 endpoint (https://developer.pagerduty.com/api-reference/368ae3d938c9e-send-an-event-to-pager-duty). */
export const DEFAULT_PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

const intFrom = (def: number) => z.coerce.number().int().positive().default(def);
/** A port; 0 picks a free one. */
const portFrom = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);

const Env = z.object({
  /** Data directory: embedded server database, task logs, DuckDB warehouses. */
  DJOBS_HOME: z.string().min(1).default(path.join(os.homedir(), '.djobs')),
  /** Temporal frontend host:port. When set, djobs uses it instead of the embedded server. */
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Path of the `temporal` CLI (dev server + Web UI). */
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  /** How long a starting worker or API keeps trying to reach Temporal before it exits 3 (commands fail at once). */
  DJOBS_TEMPORAL_CONNECT_TIMEOUT_SECONDS: z.coerce.number().min(0).max(3600).default(10),
  /** Task queue of run workflows and of tasks on no named cluster. */
  DJOBS_TASK_QUEUE: z.string().min(1).default('djobs'),
  /** Tasks running at once within one run. */
  DJOBS_MAX_PARALLEL_TASKS: intFrom(100),
  /** How fast a lost worker is noticed (activity heartbeat timeout). */
  DJOBS_HEARTBEAT_TIMEOUT_SECONDS: intFrom(30),
  /** Task attempts running at once on one worker. */
  DJOBS_WORKER_MAX_TASKS: intFrom(100),
  /** Task logs of runs that ended longer ago than this many days are deleted (unset: kept forever). */
  DJOBS_LOG_RETENTION_DAYS: z.coerce.number().positive().optional(),
  /** How often a worker's log retention runs. */
  DJOBS_LOG_RETENTION_CHECK_SECONDS: z.coerce.number().positive().default(3600),
  /**
   * Python interpreter for Python notebooks and spark_python_task. Default: the project's MLflow
   * environment (.tools/mlflow-*, which also sees the system's packages) when installed, else python3.
   */
  DJOBS_PYTHON: z.string().min(1).optional(),
  /**
   * The workspace root: notebooks and files of the Workspace API, volumes and the DBFS root, one tree
   * for every worker and the API (docs/workspace.md). @default $DJOBS_HOME/workspace
   */
  DJOBS_WORKSPACE_ROOT: z.string().min(1).optional(),
  /**
   * Folders on the machine's disk that every principal's task paths may name (comma-separated);
   * otherwise only admins may name files outside the workspace root.
   */
  DJOBS_CODE_ROOTS: z.string().optional(),
  /** Python attempts start as forks of a warm interpreter (`on`), or each in a fresh one (`off`). */
  DJOBS_PYTHON_FORK_SERVER: z.enum(['on', 'off']).default('on'),
  /** Modules the Python fork server imports once, comma-separated (e.g. `pandas,numpy`). */
  DJOBS_PYTHON_PRELOAD: z.string().optional(),
  /**
   * Task attempts run sandboxed (`on`: their own mount, PID and IPC namespaces, an unprivileged uid
   * per principal, only the files they may use) or as the worker's user (`off`, `--no-sandbox`).
   */
  DJOBS_SANDBOX: z.enum(['on', 'off']).default('on'),
  /** Sandboxed tasks reach the network (`on`) or only a loopback of their own (`off`, `--no-network`). */
  DJOBS_SANDBOX_NETWORK: z.enum(['on', 'off']).default('on'),
  /** More host paths every sandboxed task sees read-only, `:`-separated. */
  DJOBS_SANDBOX_READ_ONLY: z.string().optional(),
  /** Host paths every sandboxed task may write (as each path's owner), `:`-separated. */
  DJOBS_SANDBOX_READ_WRITE: z.string().optional(),
  /** Variables of the worker's environment every task gets, comma-separated names. */
  DJOBS_SANDBOX_ENV: z.string().optional(),
  /** The first of the million uids sandboxed tasks run as (one per principal). */
  DJOBS_SANDBOX_UID_BASE: z.coerce
    .number()
    .int()
    .min(1000)
    .max(2 ** 31 - TASK_UID_COUNT)
    .default(DEFAULT_TASK_UID_BASE),
  /** gRPC port of the embedded dev server (a free port is used when it is taken). */
  DJOBS_PORT: portFrom(7233),
  /** Web UI port of the embedded dev server. */
  DJOBS_UI_PORT: portFrom(8233),
  /** MLflow server tasks use; when set, `djobs dev` starts none. */
  MLFLOW_TRACKING_URI: z.string().min(1).optional(),
  /** Port of the MLflow tracking server `djobs dev` starts (a free port is used when it is taken). */
  DJOBS_MLFLOW_PORT: portFrom(5000),
  /**
   * Public address of the Web UI, the base of every run's `run_page_url` (deployments behind a
   * proxy). Default: the address of the UI the embedded server started.
   */
  DJOBS_UI_URL: z.url({ protocol: /^https?$/ }).optional(),
  DJOBS_WEB_UI_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Caps on task attempts running at once per worker pool across all runs and workers, e.g.
   * `default=8,gpu=2` (`default`: tasks on no cluster). Read by the workers that run workflows.
   */
  DJOBS_POOL_MAX_TASKS: z
    .string()
    .regex(/^\s*[\w.-]+\s*=\s*\d+\s*(,\s*[\w.-]+\s*=\s*\d+\s*)*$/, 'expected pool=limit pairs, e.g. default=8,gpu=2')
    .optional(),
  /** How often file-arrival triggers list their location. */
  DJOBS_FILE_ARRIVAL_POLL_SECONDS: z.coerce.number().positive().default(10),
  /** How often model triggers read the MLflow Model Registry (Databricks polls about once a minute). */
  DJOBS_MODEL_TRIGGER_POLL_SECONDS: z.coerce.number().positive().default(60),
  /** Wait after the first failed run of a continuous job; doubles per consecutive failure. */
  DJOBS_CONTINUOUS_BACKOFF_SECONDS: z.coerce.number().positive().default(10),
  DJOBS_CONTINUOUS_BACKOFF_MAX_SECONDS: z.coerce.number().positive().default(600),
  /**
   * Multiplies every trigger period (periodic intervals, min_time_between_triggers_seconds,
   * wait_after_last_change_seconds): for tests and demos that cannot wait an hour. Default 1.
   */
  DJOBS_TRIGGER_TIME_SCALE: z.coerce.number().positive().max(1).default(1),
  /** How long the API reuses a job's grants once read (0: read them on every check). */
  DJOBS_API_ACCESS_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /** Payload encryption (docs/security.md): `on` (default) or `off` (payloads written in the clear). */
  DJOBS_ENCRYPTION: z.enum(['on', 'off']).default('on'),
  /** Encryption keys inline, `id:base64key` comma-separated, newest last. Wins over the key file. */
  DJOBS_ENCRYPTION_KEYS: z.string().min(1).optional(),
  /** Key file (one `id:base64key` a line, newest last). @default $DJOBS_HOME/encryption-keys */
  DJOBS_ENCRYPTION_KEY_FILE: z.string().min(1).optional(),
  /**
   * Workers: act on payloads that are not encrypted (runs written before encryption was turned
   * on). Off by default: an encrypting worker refuses them.
   */
  DJOBS_ACCEPT_PLAINTEXT_PAYLOADS: z.enum(['true', 'false']).default('false'),
  /** TLS to Temporal: client certificate and key files (mTLS), CA bundle file, server name. */
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** TLS to Temporal with the system's CAs when no other TEMPORAL_TLS_* is set. */
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  /** The REST API (and codec server) serves HTTPS with this certificate chain and key (PEM files). */
  DJOBS_API_TLS_CERT: z.string().min(1).optional(),
  DJOBS_API_TLS_KEY: z.string().min(1).optional(),
  /** Browser origins (the Temporal Web UI's) allowed to call the API's codec server, comma-separated. */
  DJOBS_CODEC_CORS_ORIGINS: z.string().min(1).optional(),
  /** A file holding the codec token: it decodes at the codec server and opens nothing else (the Temporal UI's). */
  DJOBS_CODEC_TOKEN_FILE: z.string().min(1).optional(),
  /** SMTP server of email notifications; unset: emails are written to $DJOBS_HOME/outbox (docs/notifications.md). */
  DJOBS_SMTP_HOST: z.string().min(1).optional(),
  DJOBS_SMTP_PORT: portFrom(587),
  /** `true`: TLS from the first byte (port 465); `false`: STARTTLS when the server offers it. */
  DJOBS_SMTP_SECURE: z.enum(['true', 'false']).default('false'),
  DJOBS_SMTP_USER: z.string().min(1).optional(),
  DJOBS_SMTP_PASSWORD: z.string().min(1).optional(),
  /** Sender address of notification emails. */
  DJOBS_SMTP_FROM: z.string().min(1).default('durable-jobs <djobs@localhost>'),
  /** PagerDuty Events API v2 endpoint of PAGERDUTY notification destinations (EU accounts, a proxy). */
  DJOBS_PAGERDUTY_EVENTS_URL: z.url({ protocol: /^https?$/ }).default(DEFAULT_PAGERDUTY_EVENTS_URL),
});

/** The environment variables of the settings (`ENV_VARIABLES` are all documented in docs/configuration.md). */
export const ENV_VARIABLES = Object.keys(Env.shape);

export interface DjobsConfig {
  home: string;
  temporalAddress?: string;
  namespace: string;
  temporalCliPath?: string;
  /** DJOBS_TEMPORAL_CONNECT_TIMEOUT_SECONDS */
  temporalConnectTimeoutSeconds: number;
  taskQueue: string;
  maxParallelTasks: number;
  heartbeatTimeoutSeconds: number;
  workerMaxTasks: number;
  /** DJOBS_LOG_RETENTION_DAYS and DJOBS_LOG_RETENTION_CHECK_SECONDS (worker/log-retention.ts). */
  logRetention?: { days: number; checkSeconds: number };
  python: string;
  /** The workspace root (DJOBS_WORKSPACE_ROOT). */
  workspaceRoot: string;
  /** Local folders every principal may name code in (DJOBS_CODE_ROOTS). */
  codeRoots: string[];
  pythonForkServer: { enabled: boolean; preload: string[] };
  /** The task sandbox (activities/sandbox/view.ts); `hidden` holds the key and token files named here. */
  sandbox: SandboxSettings;
  port: number;
  uiPort: number;
  uiUrl?: string;
  /** Public address of the jobs web UI (DJOBS_WEB_UI_URL): `run_page_url` is its run page when set. */
  webUiUrl?: string;
  mlflowTrackingUri?: string;
  mlflowPort: number;
  triggers: TriggerTiming;
  jobAccessCacheMs: number;
  poolMaxTasks: Record<string, number>;
  /** `acceptPlaintext`: the workers' migration switch for runs written before encryption was turned on. */
  encryption: { enabled: boolean; acceptPlaintext: boolean; keys?: string; keyFile: string };
  temporalTls?: { cert?: string; key?: string; ca?: string; serverName?: string };
  apiTls?: { cert: string; key: string };
  codecCorsOrigins: string[];
  /** DJOBS_CODEC_TOKEN_FILE: the codec token's file (api/codec-server.ts, decodeToken). */
  codecTokenFile?: string;
  /** Email notifications: an SMTP server, or (none configured) the outbox directory. */
  email: EmailConfig;
  /** Where PAGERDUTY notification destinations send their events (DJOBS_PAGERDUTY_EVENTS_URL). */
  pagerdutyEventsUrl: string;
}

/** Where notification emails go: an SMTP server when one is configured, else `.eml` files in `outbox`. */
export interface EmailConfig {
  from: string;
  outbox: string;
  smtp?: { host: string; port: number; secure: boolean; user?: string; password?: string };
}

/** Bad configuration is bad input (the CLI's exit 2), told in one line. */
export const invalidConfiguration = (problem: string) =>
  new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, `invalid durable-jobs configuration: ${problem}`);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): DjobsConfig {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(clean);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw invalidConfiguration(problems);
  }
  const e = parsed.data;
  const tlsProblem =
    Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY)
      ? 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (mTLS)'
      : Boolean(e.DJOBS_API_TLS_CERT) !== Boolean(e.DJOBS_API_TLS_KEY)
        ? 'DJOBS_API_TLS_CERT and DJOBS_API_TLS_KEY go together'
        : undefined;
  if (tlsProblem) throw invalidConfiguration(tlsProblem);
  const temporalTls = {
    ...(e.TEMPORAL_TLS_CERT ? { cert: e.TEMPORAL_TLS_CERT } : {}),
    ...(e.TEMPORAL_TLS_KEY ? { key: e.TEMPORAL_TLS_KEY } : {}),
    ...(e.TEMPORAL_TLS_CA ? { ca: e.TEMPORAL_TLS_CA } : {}),
    ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverName: e.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  const home = path.resolve(e.DJOBS_HOME);
  if (Boolean(e.DJOBS_SMTP_USER) !== Boolean(e.DJOBS_SMTP_PASSWORD))
    throw invalidConfiguration('DJOBS_SMTP_USER and DJOBS_SMTP_PASSWORD go together');
  return {
    email: {
      from: e.DJOBS_SMTP_FROM,
      outbox: dataPaths(home).outbox,
      ...(e.DJOBS_SMTP_HOST
        ? {
            smtp: {
              host: e.DJOBS_SMTP_HOST,
              port: e.DJOBS_SMTP_PORT,
              secure: e.DJOBS_SMTP_SECURE === 'true',
              ...(e.DJOBS_SMTP_USER ? { user: e.DJOBS_SMTP_USER } : {}),
              ...(e.DJOBS_SMTP_PASSWORD ? { password: e.DJOBS_SMTP_PASSWORD } : {}),
            },
          }
        : {}),
    },
    codecCorsOrigins: (e.DJOBS_CODEC_CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim().replace(/\/$/, ''))
      .filter((o) => o !== ''),
    ...(e.DJOBS_CODEC_TOKEN_FILE ? { codecTokenFile: e.DJOBS_CODEC_TOKEN_FILE } : {}),
    encryption: {
      enabled: e.DJOBS_ENCRYPTION === 'on',
      acceptPlaintext: e.DJOBS_ACCEPT_PLAINTEXT_PAYLOADS === 'true',
      ...(e.DJOBS_ENCRYPTION_KEYS ? { keys: e.DJOBS_ENCRYPTION_KEYS } : {}),
      keyFile: path.resolve(e.DJOBS_ENCRYPTION_KEY_FILE ?? dataPaths(home).encryptionKeys),
    },
    ...(Object.keys(temporalTls).length > 0 || e.TEMPORAL_TLS === 'true' ? { temporalTls } : {}),
    ...(e.DJOBS_API_TLS_CERT && e.DJOBS_API_TLS_KEY
      ? { apiTls: { cert: e.DJOBS_API_TLS_CERT, key: e.DJOBS_API_TLS_KEY } }
      : {}),
    home,
    pagerdutyEventsUrl: e.DJOBS_PAGERDUTY_EVENTS_URL,
    ...(e.TEMPORAL_ADDRESS ? { temporalAddress: e.TEMPORAL_ADDRESS } : {}),
    namespace: e.TEMPORAL_NAMESPACE,
    ...(e.TEMPORAL_CLI_PATH ? { temporalCliPath: e.TEMPORAL_CLI_PATH } : {}),
    temporalConnectTimeoutSeconds: e.DJOBS_TEMPORAL_CONNECT_TIMEOUT_SECONDS,
    taskQueue: e.DJOBS_TASK_QUEUE,
    maxParallelTasks: e.DJOBS_MAX_PARALLEL_TASKS,
    heartbeatTimeoutSeconds: e.DJOBS_HEARTBEAT_TIMEOUT_SECONDS,
    workerMaxTasks: e.DJOBS_WORKER_MAX_TASKS,
    ...(e.DJOBS_LOG_RETENTION_DAYS !== undefined
      ? { logRetention: { days: e.DJOBS_LOG_RETENTION_DAYS, checkSeconds: e.DJOBS_LOG_RETENTION_CHECK_SECONDS } }
      : {}),
    python: e.DJOBS_PYTHON ?? installedMlflowPython() ?? 'python3',
    workspaceRoot: path.resolve(e.DJOBS_WORKSPACE_ROOT ?? dataPaths(home).workspace),
    codeRoots: (e.DJOBS_CODE_ROOTS ?? '')
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d !== '')
      .map((d) => path.resolve(d)),
    pythonForkServer: {
      enabled: e.DJOBS_PYTHON_FORK_SERVER === 'on',
      preload: (e.DJOBS_PYTHON_PRELOAD ?? '')
        .split(',')
        .map((m) => m.trim())
        .filter((m) => m !== ''),
    },
    sandbox: {
      enabled: e.DJOBS_SANDBOX === 'on',
      network: e.DJOBS_SANDBOX_NETWORK === 'on',
      readOnly: pathList(e.DJOBS_SANDBOX_READ_ONLY),
      readWrite: pathList(e.DJOBS_SANDBOX_READ_WRITE),
      passEnv: (e.DJOBS_SANDBOX_ENV ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== ''),
      // Secret files the worker's own configuration names: hidden from tasks wherever they are.
      hidden: [
        e.DJOBS_ENCRYPTION_KEY_FILE,
        env.DJOBS_API_PRINCIPALS,
        env.DJOBS_API_TOKEN_FILE,
        e.DJOBS_CODEC_TOKEN_FILE,
        e.TEMPORAL_TLS_KEY,
        e.DJOBS_API_TLS_KEY,
      ].filter((f): f is string => typeof f === 'string' && f !== ''),
      uidBase: e.DJOBS_SANDBOX_UID_BASE,
    },
    port: e.DJOBS_PORT,
    uiPort: e.DJOBS_UI_PORT,
    ...(e.DJOBS_UI_URL ? { uiUrl: e.DJOBS_UI_URL } : {}),
    ...(e.DJOBS_WEB_UI_URL ? { webUiUrl: e.DJOBS_WEB_UI_URL } : {}),
    ...(e.MLFLOW_TRACKING_URI ? { mlflowTrackingUri: e.MLFLOW_TRACKING_URI } : {}),
    mlflowPort: e.DJOBS_MLFLOW_PORT,
    jobAccessCacheMs: e.DJOBS_API_ACCESS_CACHE_MS,
    poolMaxTasks: Object.fromEntries(
      (e.DJOBS_POOL_MAX_TASKS ?? '')
        .split(',')
        .filter((pair) => pair.trim() !== '')
        .map((pair) => {
          const [name, limit] = pair.split('=');
          return [name!.trim(), Number(limit)];
        })
    ),
    triggers: {
      timeScale: e.DJOBS_TRIGGER_TIME_SCALE,
      fileArrivalPollSeconds: e.DJOBS_FILE_ARRIVAL_POLL_SECONDS,
      continuousBackoffSeconds: e.DJOBS_CONTINUOUS_BACKOFF_SECONDS,
      continuousBackoffMaxSeconds: e.DJOBS_CONTINUOUS_BACKOFF_MAX_SECONDS,
      modelPollSeconds: e.DJOBS_MODEL_TRIGGER_POLL_SECONDS,
    },
  };
}

/** Absolute paths of a `:`-separated list. */
function pathList(value: string | undefined): string[] {
  return (value ?? '')
    .split(path.delimiter)
    .filter((p) => p.trim() !== '')
    .map((p) => path.resolve(p));
}

/** Layout of the data directory. */
export function dataPaths(home: string) {
  return {
    temporalDb: path.join(home, 'temporal.db'),
    /** Who owns the embedded server of this directory, and where it is (servers/server-lock.ts). */
    serverLock: path.join(home, 'server.lock'),
    logs: path.join(home, 'logs'),
    warehouses: path.join(home, 'warehouses'),
    /** The workspace root unless DJOBS_WORKSPACE_ROOT says otherwise. */
    workspace: path.join(home, 'workspace'),
    serverLog: path.join(home, 'server.log'),
    encryptionKeys: path.join(home, 'encryption-keys'),
    /** Notification emails as `.eml` files when no SMTP server is configured. */
    outbox: path.join(home, 'outbox'),
  };
}
