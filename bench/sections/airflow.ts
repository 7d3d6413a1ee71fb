// Apache Airflow 3 side by side (`npm run bench -- --vs airflow`): Airflow is installed from PyPI
// into .tools/ when missing (scripts/python-packages.ts), started as its full deployment on this
// machine (api-server, scheduler with the LocalExecutor, dag-processor; SQLite metadata database;
// its default parallelism), and runs the DAGs of bench/airflow/dags.py one run at a time; the same
// shapes run on durable-jobs' real worker (each task a process) in the same bench run. Wall time
// is from the trigger to the run's end; the gap between tasks is one task's end to the next one's
// start.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../servers/dev-server';
import { projectRoot } from '../../config/project-root';
import type { JobSettings } from '../../core';
import { AIRFLOW_VERSION, ensureAirflow } from '../../scripts/python-packages';
import type { JobRunInput } from '../../workflows/definitions';
import { median, round, type BenchEnv } from '../env';
import { chainEdgeBreakdown } from '../history-timing';
import type { Section } from '../section';
import { chainSpec, fanSpec } from '../specs';

interface Shape {
  name: string;
  dagId: string;
  settings: (noopPy: string) => JobSettings;
  chain: boolean;
  /** The ratio the issue reports (Airflow wall / ours) and the target where one was set. */
  reported: string;
  target?: number;
}

const SHAPES: Shape[] = [
  {
    name: '100-task shell chain',
    dagId: 'djobs_bench_shell_chain_100',
    settings: () => chainSpec(100),
    chain: true,
    reported: '23×',
  },
  {
    name: '100-wide shell fan-out',
    dagId: 'djobs_bench_shell_fan_out_100',
    settings: () => fanSpec(100),
    chain: false,
    reported: '8×',
  },
  {
    name: '20-task Python chain',
    dagId: 'djobs_bench_python_chain_20',
    settings: (noopPy) => ({
      name: 'python-chain-20',
      tasks: Array.from({ length: 20 }, (_, i) => ({
        task_key: `t${i}`,
        spark_python_task: { python_file: noopPy },
        ...(i > 0 ? { depends_on: [{ task_key: `t${i - 1}` }] } : {}),
      })),
    }),
    chain: true,
    reported: '5×',
    target: 20,
  },
];

interface RunRecord {
  state: string | null;
  queued: number | null;
  end: number | null;
  tasks: { task_id: string; start: number | null; end: number | null }[];
}

/** Airflow's processes, in process groups of their own so that stopping one stops its children. */
class AirflowDeployment {
  private readonly procs: ChildProcess[] = [];
  readonly db: string;
  constructor(
    readonly python: string,
    readonly home: string,
    readonly env: NodeJS.ProcessEnv
  ) {
    this.db = path.join(home, 'airflow.db');
  }

  static async start(python: string): Promise<AirflowDeployment> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-bench-airflow-'));
    const port = await freePort();
    const dags = path.join(home, 'dags');
    fs.mkdirSync(dags);
    fs.copyFileSync(path.join(projectRoot(), 'bench', 'airflow', 'dags.py'), path.join(dags, 'bench_dags.py'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${path.dirname(python)}:${process.env.PATH ?? ''}`,
      AIRFLOW_HOME: home,
      AIRFLOW__CORE__EXECUTOR: 'LocalExecutor',
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(home, 'airflow.db')}`,
      AIRFLOW__CORE__DAGS_FOLDER: dags,
      AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
      AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION: 'False',
      AIRFLOW__API__PORT: String(port),
      AIRFLOW__API__HOST: '127.0.0.1',
      AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `http://127.0.0.1:${port}/execution/`,
      AIRFLOW__API_AUTH__JWT_SECRET: 'djobs-bench-airflow-jwt-secret-0123456789',
      AIRFLOW__CORE__FERNET_KEY: '',
    };
    const deployment = new AirflowDeployment(python, home, env);
    deployment.cli(['db', 'migrate']);
    for (const component of ['api-server', 'scheduler', 'dag-processor']) deployment.spawn(component);
    return deployment;
  }

  cli(args: string[]): string {
    const res = spawnSync(path.join(path.dirname(this.python), 'airflow'), args, {
      env: this.env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (res.status !== 0)
      throw new Error(`airflow ${args.join(' ')} failed (${res.status}): ${res.stderr.slice(-2000)}`);
    return res.stdout;
  }

  private spawn(component: string): void {
    const log = fs.openSync(path.join(this.home, `${component}.log`), 'a');
    const child = spawn(path.join(path.dirname(this.python), 'airflow'), [component], {
      env: this.env,
      stdio: ['ignore', log, log],
      detached: true,
    });
    fs.closeSync(log);
    this.procs.push(child);
  }

  query<T>(args: string[]): T {
    const res = spawnSync(this.python, [path.join(projectRoot(), 'bench', 'airflow', 'runs.py'), this.db, ...args], {
      encoding: 'utf8',
    });
    if (res.status !== 0) throw new Error(`runs.py ${args.join(' ')} failed: ${res.stderr}`);
    return JSON.parse(res.stdout) as T;
  }

  async waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const v = probe();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline)
        throw new Error(`Airflow: ${what} did not happen in ${timeoutMs / 1000} s (logs in ${this.home})`, {
          cause: last,
        });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async stop(): Promise<void> {
    for (const p of this.procs)
      if (p.pid !== undefined && p.exitCode === null)
        try {
          process.kill(-p.pid, 'SIGTERM');
        } catch {
          // already gone
        }
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            const timer = setTimeout(() => {
              try {
                process.kill(-p.pid!, 'SIGKILL');
              } catch {
                // already gone
              }
            }, 10_000);
            p.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          })
      )
    );
  }
}

/** Median gap from one task's end to the next one's start, in a chain's task instances (t0, t1, …). */
function chainGaps(tasks: RunRecord['tasks']): number {
  const byIndex = new Map(tasks.map((t) => [Number(t.task_id.slice(1)), t]));
  const gaps: number[] = [];
  for (let i = 1; byIndex.has(i); i++) {
    const prev = byIndex.get(i - 1)!;
    const next = byIndex.get(i)!;
    if (prev.end !== null && next.start !== null) gaps.push(next.start - prev.end);
  }
  return median(gaps);
}

async function runOnAirflow(a: AirflowDeployment, shape: Shape): Promise<{ wallMs: number; gapMs: number }> {
  const runId = `bench_${Date.now()}`;
  a.cli(['dags', 'trigger', shape.dagId, '--run-id', runId]);
  const run = await a.waitFor(`run ${shape.dagId}/${runId} ending`, 30 * 60_000, () => {
    const r = a.query<RunRecord>(['run', shape.dagId, runId]);
    if (r.state === 'failed') throw new Error(`Airflow run ${shape.dagId}/${runId} failed (logs in ${a.home})`);
    return r.state === 'success' ? r : undefined;
  });
  return { wallMs: run.end! - run.queued!, gapMs: shape.chain ? chainGaps(run.tasks) : NaN };
}

async function runOnDjobs(env: BenchEnv, shape: Shape, noopPy: string): Promise<{ wallMs: number; gapMs: number }> {
  const input: JobRunInput = { runId: 9100, settings: shape.settings(noopPy) };
  const { ms, workflowId } = await env.execute('jobRun', [input], env.realQueue);
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return { wallMs: ms, gapMs: shape.chain ? chainEdgeBreakdown(history.events ?? []).betweenMedianMs : NaN };
}

export const airflow: Section = {
  name: 'airflow',
  summary:
    'Apache Airflow 3 (LocalExecutor, SQLite) side by side: 100-task shell chain, 100-wide fan-out, 20-task Python chain',
  quick: false,
  vs: 'airflow',
  async run(env) {
    const python = ensureAirflow(projectRoot());
    // Beside the data directory, not in it: a sandboxed task never sees DJOBS_HOME.
    const noopPy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-bench-code-')), 'noop.py');
    fs.chmodSync(path.dirname(noopPy), 0o755);
    fs.writeFileSync(noopPy, 'pass\n');
    // Warm the real worker (bundle, first processes) before measuring.
    await env.execute('jobRun', [{ runId: 9000, settings: chainSpec(3) } satisfies JobRunInput], env.realQueue);
    const ours: { wallMs: number; gapMs: number }[] = [];
    for (const shape of SHAPES) ours.push(await runOnDjobs(env, shape, noopPy));
    const deployment = await AirflowDeployment.start(python);
    const theirs: { wallMs: number; gapMs: number }[] = [];
    try {
      await deployment.waitFor('the DAGs parsed', 5 * 60_000, () => {
        const parsed = deployment.query<string[]>(['dags']);
        return SHAPES.every((s) => parsed.includes(s.dagId)) ? parsed : undefined;
      });
      for (const shape of SHAPES) theirs.push(await runOnAirflow(deployment, shape));
    } finally {
      await deployment.stop();
    }
    const rows = SHAPES.map((shape, i) => {
      const o = ours[i]!;
      const t = theirs[i]!;
      const ratio = t.wallMs / o.wallMs;
      return {
        shape: shape.name,
        ours_s: round(o.wallMs / 1000, 2),
        airflow_s: round(t.wallMs / 1000, 2),
        ours_gap_ms: Number.isNaN(o.gapMs) ? '' : round(o.gapMs, 1),
        airflow_gap_ms: Number.isNaN(t.gapMs) ? '' : round(t.gapMs),
        ratio: `${round(ratio, 1)}×`,
        issue_reported: shape.reported,
        target: shape.target ? `≥ ${shape.target}×` : '',
        met: shape.target ? (ratio >= shape.target ? 'yes' : 'NO') : '',
      };
    });
    fs.rmSync(deployment.home, { recursive: true, force: true });
    return [
      {
        title: `Apache Airflow ${AIRFLOW_VERSION} vs durable-jobs, one run each, same machine, same bench run (ratio: Airflow wall / ours)`,
        rows,
        notes: [
          'Airflow: api-server + scheduler (LocalExecutor) + dag-processor, SQLite, default parallelism; durable-jobs: the real worker, each task a process.',
          'Wall time from the trigger to the run’s end; gap: median from a task’s end to the next one’s start (chains).',
        ],
      },
    ];
  },
};
