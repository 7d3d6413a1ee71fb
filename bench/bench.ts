// npm run bench [-- --all | --only <sections> | --vs airflow | --list]: durable-jobs measured
// beside a baseline in the same run (a hand-written Temporal workflow on the same server, or
// Apache Airflow on the same machine), every figure printed with its target. docs/performance.md
// says what each section measures; results are also written to .bench/results.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { selectSections } from './args';
import { withBenchEnv } from './env';
import type { Section, SectionReport } from './section';
import { airflow } from './sections/airflow';
import { api } from './sections/api';
import { cron } from './sections/cron';
import { curve } from './sections/curve';
import { edges } from './sections/edges';
import { overhead } from './sections/overhead';
import { promises } from './sections/promises';
import { python } from './sections/python';
import { runsList } from './sections/runs-list';
import { starts } from './sections/task-starts';
import { throughput } from './sections/throughput';
import { ui } from './sections/ui';

// `promises` last: its debug-mode worker leaves the SDK's promise hook on this thread, which would
// tax the sections after it.
const SECTIONS: Section[] = [
  overhead,
  edges,
  api,
  python,
  starts,
  throughput,
  curve,
  ui,
  airflow,
  cron,
  runsList,
  promises,
];

function print(report: SectionReport): void {
  console.log(`\n${report.title}`);
  console.table(report.rows);
  for (const note of report.notes ?? []) console.log(`  ${note}`);
}

async function main(): Promise<void> {
  const selection = selectSections(process.argv.slice(2), SECTIONS);
  if (selection.list) {
    for (const s of SECTIONS)
      console.log(`${s.name.padEnd(11)} ${s.vs ? `(--vs ${s.vs})` : s.quick ? '(quick)' : '(--all)'}  ${s.summary}`);
    return;
  }
  const chosen = SECTIONS.filter((s) => selection.sections.includes(s.name));
  // Overloaded machines make the SDK warn about slow workflow tasks: the figures already say so.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
  const load = os.loadavg().map((x) => x.toFixed(2));
  console.log(
    `durable-jobs bench: ${chosen.map((s) => s.name).join(', ')} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${load.join(' ')} at start.\n` +
      'Absolute figures move with the machine’s load; the ratios to a baseline measured side by side in the same run are what to compare.'
  );
  const results: Record<string, SectionReport[]> = {};
  const server = selection.server ?? 'dev';
  console.log(
    server === 'postgres'
      ? 'Temporal server: docker-compose.yml’s, on PostgreSQL, run natively (servers/native-cluster.ts).'
      : 'Temporal server: the embedded dev server (SQLite); --server postgres for the compose’s.'
  );
  await withBenchEnv(
    async (env) => {
      for (const section of chosen) {
        const t0 = performance.now();
        const reports = await section.run(env);
        results[section.name] = reports;
        reports.forEach(print);
        console.log(`  (${section.name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    },
    { server }
  );
  const out = path.resolve(__dirname, '..', '..', '.bench');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(
    path.join(out, 'results.json'),
    JSON.stringify(
      { at: new Date().toISOString(), server, cpus: os.cpus().length, loadavg: os.loadavg(), results },
      null,
      2
    )
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
