// examples/dbt runs here: dbt seed, run and test on the embedded warehouse, then a SQL task on
// the model dbt built.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJobSpecFile } from '../../client';
import { shareUvCache } from '../helpers/python-build';
import { resultsByKey, useEngine } from '../integration/harness';

const examples = path.resolve(__dirname, '..', '..', 'examples');

describe('examples/dbt', () => {
  shareUvCache();
  const engine = useEngine('examples dbt');

  it('dbt: seed, run and test, then SQL on the model dbt built', async () => {
    const { settings } = await loadJobSpecFile(path.join(examples, 'dbt', 'job.yaml'));
    const run = await engine.client.waitForRun((await engine.client.submitRun(settings)).run_id, {
      timeoutMs: 600_000,
    });
    expect(resultsByKey(run)).toEqual({ dbt: 'SUCCESS', top_customers: 'SUCCESS' });
    const top = (await engine.client.getRunOutput(run.run_id, 'top_customers')).logs ?? '';
    expect(top).toMatch(/margaret\s*\|\s*30\s*\n\s*ada\s*\|\s*25/);
  }, 600_000);
});
