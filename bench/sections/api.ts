// The REST API under load (bench/api-load.ts), each endpoint beside the target.
import os from 'node:os';
import { apiLoad, apiLoadSettings } from '../api-load';
import type { Section } from '../section';

export const api: Section = {
  name: 'api',
  summary:
    'REST API under load: runs/get of terminated and live runs (admin, permission-checked), run-now, jobs/list first page',
  quick: true,
  async run(env) {
    const results = await apiLoad(env);
    // run-now beside its ceiling measured in the same run: the ratio is what load does not move.
    const rate = (prefix: string) => results.find((r) => r.endpoint.startsWith(prefix))?.req_per_s;
    const [runNow, rawStart, unpolled] = [
      rate('run-now'),
      rate('baseline: client.workflow.start of'),
      rate('baseline: client.workflow.start on a queue no worker polls'),
    ];
    return [
      {
        title: `REST API on ${os.cpus().length} cores, ${apiLoadSettings.concurrency} concurrent clients, ${apiLoadSettings.seconds} s per endpoint`,
        rows: results,
        notes: [
          'Requests come from a process of their own (undici Pool, keep-alive); the server is createApiServer as deployed.',
          'Where the time goes: temporal_call_ms is the mean round trip of the API’s Temporal calls (a runs/get waits',
          'for a describe sent after it arrived: 1.5 to 2 round trips); server_cpu_ms_per_req is the CPU of the API’s',
          'process per request (it also hosts the bench’s idle workers); the rest is waiting for a core.',
          `Temporal server: ${env.server === 'postgres' ? 'docker-compose.yml’s on PostgreSQL (run natively)' : 'the dev server (SQLite)'}; ` +
            'temporal_cpu_ms_per_req (and postgres_cpu_ms_per_req) is the CPU of its processes per request.',
          ...(runNow !== undefined && rawStart
            ? [`run-now / raw client.workflow.start: ${(runNow / rawStart).toFixed(2)} (same server, same run)`]
            : []),
          ...(runNow !== undefined && unpolled
            ? [
                `run-now / a start no worker runs (the server alone): ${(runNow / unpolled).toFixed(2)}; run-now's target needs`,
                'a server that starts workflows faster than this one does here with nothing else running.',
              ]
            : []),
        ],
      },
    ];
  },
};
