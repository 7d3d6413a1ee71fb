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
      },
    ];
  },
};
