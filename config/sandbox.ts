// Settings of the task sandbox (activities/sandbox/view.ts builds each attempt's view from them):
// DJOBS_SANDBOX, DJOBS_SANDBOX_NETWORK, DJOBS_SANDBOX_READ_ONLY, DJOBS_SANDBOX_READ_WRITE,
// DJOBS_SANDBOX_ENV, DJOBS_SANDBOX_UID_BASE (config/index.ts), `--no-sandbox` and `--no-network`.

export interface SandboxSettings {
  /** Sandbox every attempt (default), or run attempts as the worker's user (`--no-sandbox`). */
  enabled: boolean;
  /** Tasks reach the network (default), or only a loopback of their own (`--no-network`). */
  network: boolean;
  /** Host paths every task sees read-only (DJOBS_SANDBOX_READ_ONLY). */
  readOnly: string[];
  /** Host paths every task may write, as the path's owner (DJOBS_SANDBOX_READ_WRITE). */
  readWrite: string[];
  /** Variables of the worker's environment every task gets, by name (DJOBS_SANDBOX_ENV). */
  passEnv: string[];
  /** Files and directories no task may see, even inside a path it is given (key and token files). */
  hidden: string[];
  /** The first uid of the tasks' range (DJOBS_SANDBOX_UID_BASE). @default DEFAULT_TASK_UID_BASE */
  uidBase?: number;
}

export const DEFAULT_SANDBOX: SandboxSettings = {
  enabled: true,
  network: true,
  readOnly: [],
  readWrite: [],
  passEnv: [],
  hidden: [],
};

/** The first uid given to tasks, and how many there are (one per principal). */
export const DEFAULT_TASK_UID_BASE = 1_000_000_000;
export const TASK_UID_COUNT = 1_000_000;

/** What tasks run without the sandbox can do: said at a worker's start and in docs/security.md. */
export const NO_SANDBOX_LOSES =
  'tasks then run as the worker’s own user, see every file it can read (DJOBS_HOME with its keys, ' +
  'temporal.db and every run’s logs, the principals file), can write wherever it can, can signal and trace ' +
  'its processes, and share its PID and IPC namespaces and network; they still get only the allowlisted ' +
  'environment, and their process trees are still contained.';
