// Every committed history of a representative run replays against the current interpreter
// without nondeterminism, and a deliberately altered interpreter is caught.
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

const dir = path.join(__dirname, 'histories');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (f: string) => historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
/** The workflow id a history ran under, where the run's behaviour depends on it (slot gates answer by id). */
const workflowIds = JSON.parse(fs.readFileSync(path.join(__dirname, 'workflow-ids.json'), 'utf8')) as Record<
  string,
  string
>;
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('replay of committed histories', () => {
  it('has a corpus of representative runs', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const bundlePath = inject('workflowBundlePath');
      await Worker.runReplayHistory(
        bundlePath
          ? { workflowBundle: { codePath: bundlePath } }
          : { workflowsPath: path.join(__dirname, '..', '..', 'workflows', 'index.ts') },
        load(file),
        workflowIds[file.replace(/\.json$/, '')] ?? file.replace(/\.json$/, '')
      );
    });
  }

  describe('a deliberate change to the interpreter', () => {
    let code: string;
    beforeAll(async () => {
      ({ code } = await bundleWorkflowCode({
        workflowsPath: path.join(__dirname, 'fixtures', 'altered-workflows.ts'),
        logger: quiet,
      }));
    }, 60_000);

    it('is caught as nondeterminism', async () => {
      const err = await Worker.runReplayHistory({ workflowBundle: { code } }, load(files[0]!), 'altered').then(
        () => undefined,
        (e: unknown) => e
      );
      expect((err as Error | undefined)?.name).toBe('DeterminismViolationError');
    });
  });
});
