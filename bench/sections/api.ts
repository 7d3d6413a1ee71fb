// The REST API under load (bench/api-load.ts), each endpoint beside the target.
import os from 'node:os';
import { apiLoad, apiLoadSettings, type LoadResult } from '../api-load';
import type { Section } from '../section';

export const api: Section = {
  name: 'api',
  summary:
    'REST API under load: runs/get of terminated and live runs (admin, permission-checked), run-now, jobs/list first page',
  quick: true,
  async run(env) {
    const results = await apiLoad(env.client, env.noopQueue);
    // Each row carries its target (api-load.ts); `met` says whether it was reached.
    const rows = results.map((r) => ({ ...r, met: targetMet(r) ? 'yes' : 'NO' }));
    return [
      {
        title: `REST API on ${os.cpus().length} cores, ${apiLoadSettings.concurrency} concurrent clients, ${apiLoadSettings.seconds} s per endpoint`,
        rows,
      },
    ];
  },
};

/** Whether a row reached its target: `≥ N req/s`, `p99 ≤ N ms` and `≤ N ms (p50)` are understood. */
function targetMet(r: LoadResult): boolean {
  const rate = /≥ (\d+) req\/s/.exec(r.target);
  const p99 = /p99 ≤ (\d+) ms/.exec(r.target);
  const p50 = /^≤ (\d+) ms \(p50\)/.exec(r.target);
  return (
    (!rate || r.req_per_s >= Number(rate[1])) &&
    (!p99 || r.p99_ms <= Number(p99[1])) &&
    (!p50 || r.p50_ms <= Number(p50[1]))
  );
}
