// The REST API under load (bench/api-load.ts), each endpoint beside the issue's target.
import os from 'node:os';
import { apiLoad, apiLoadSettings } from '../api-load';
import type { Section } from '../section';

/** Targets for 16 clients on 2 cores (README, performance). */
const TARGETS: { match: string; reqPerS: number; p99Ms?: number }[] = [
  { match: 'runs/get', reqPerS: 2000, p99Ms: 25 },
  { match: 'run-now', reqPerS: 300 },
];

export const api: Section = {
  name: 'api',
  summary: 'REST API under load: runs/get (admin, permission-checked) and run-now',
  quick: true,
  async run(env) {
    const results = await apiLoad(env.client, env.noopQueue);
    const rows = results.map((r) => {
      const t = TARGETS.find((x) => r.endpoint.startsWith(x.match));
      const met = t && r.req_per_s >= t.reqPerS && (t.p99Ms === undefined || r.p99_ms <= t.p99Ms);
      return {
        ...r,
        target: t ? `≥ ${t.reqPerS} req/s${t.p99Ms !== undefined ? `, p99 ≤ ${t.p99Ms} ms` : ''}` : '',
        met: t ? (met ? 'yes' : 'NO') : '',
      };
    });
    return [
      {
        title: `REST API on ${os.cpus().length} cores, ${apiLoadSettings.concurrency} concurrent clients, ${apiLoadSettings.seconds} s per endpoint`,
        rows,
      },
    ];
  },
};
