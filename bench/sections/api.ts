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
    return [
      {
        title: `REST API on ${os.cpus().length} cores, ${apiLoadSettings.concurrency} concurrent clients, ${apiLoadSettings.seconds} s per endpoint`,
        rows: results,
        notes: [
          'Requests come from a process of their own (undici Pool, keep-alive); the server is createApiServer as deployed.',
          'Where the time goes: temporal_call_ms is the mean round trip of the API’s Temporal calls (a runs/get waits',
          'for a describe sent after it arrived: 1.5 to 2 round trips); server_cpu_ms_per_req is the CPU of the API’s',
          'process per request (it also hosts the bench’s idle workers); the rest is waiting for a core.',
        ],
      },
    ];
  },
};
