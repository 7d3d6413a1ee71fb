// Every committed history of a representative run replays against the current interpreter
// without nondeterminism, and a deliberately altered interpreter is caught. Replay needs no
// server: the workflow code is bundled once here and the histories are fed to it in-process.
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';

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
/** The parts of a history event in JSON that the patch check reads. */
interface HistoryEventJson {
  workflowExecutionStartedEventAttributes?: { workflowType: { name: string } };
  markerRecordedEventAttributes?: {
    markerName: string;
    details?: Record<string, { payloads: { data: string }[] }>;
  };
}
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('replay of committed histories', () => {
  let current: string;
  beforeAll(async () => {
    ({ code: current } = await bundleWorkflowCode({
      workflowsPath: path.join(__dirname, '..', '..', 'workflows', 'index.ts'),
      logger: quiet,
    }));
  }, 120_000);

  it('has a corpus of representative runs', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  // The SDK loads the workflow modules afresh for every workflow execution: zod schemas in the
  // bundle were built again for every run (workflows import core/model.ts, not core/index.ts).
  it('bundles no zod: no schema is built for every workflow execution', () => {
    expect(current).not.toMatch(/node_modules\/zod\//);
    expect(current).not.toMatch(/core\/schema\/job-settings/);
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      await Worker.runReplayHistory(
        { workflowBundle: { code: current } },
        load(file),
        workflowIds[file.replace(/\.json$/, '')] ?? file.replace(/\.json$/, '')
      );
    });
  }

  // Every patched() id in workflows/ is proven both ways: a history recorded with the change
  // (its marker) and one of the same workflow type recorded before it (no marker) both replay.
  it('covers every patch with a history from before it and one from after', () => {
    const sources = fs
      .readdirSync(path.join(__dirname, '..', '..', 'workflows'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => fs.readFileSync(path.join(__dirname, '..', '..', 'workflows', f), 'utf8'))
      .join('\n');
    const patches = [...sources.matchAll(/_PATCH = '([a-z0-9-]+)'/g)].map((m) => m[1]!);
    expect(patches.length).toBeGreaterThanOrEqual(4);
    const histories = files.map((f) => {
      const events = (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { events: HistoryEventJson[] }).events;
      const patchIds = events
        .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
        .map((e) => {
          const data = e.markerRecordedEventAttributes!.details!['patch-data']!.payloads[0]!.data;
          return (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id;
        });
      const type = events[0]!.workflowExecutionStartedEventAttributes!.workflowType.name;
      return { type, patchIds };
    });
    for (const id of patches) {
      const after = histories.filter((h) => h.patchIds.includes(id));
      expect(after.length, `a history recorded with patch ${id}`).toBeGreaterThan(0);
      const types = new Set(after.map((h) => h.type));
      const before = histories.filter((h) => types.has(h.type) && !h.patchIds.includes(id));
      expect(before.length, `a history from before patch ${id}`).toBeGreaterThan(0);
    }
  });

  describe('a deliberate change to the interpreter', () => {
    let code: string;
    beforeAll(async () => {
      ({ code } = await bundleWorkflowCode({
        workflowsPath: path.join(__dirname, 'fixtures', 'altered-workflows.ts'),
        logger: quiet,
      }));
    }, 120_000);

    it('is caught as nondeterminism', async () => {
      const err = await Worker.runReplayHistory({ workflowBundle: { code } }, load(files[0]!), 'altered').then(
        () => undefined,
        (e: unknown) => e
      );
      expect((err as Error | undefined)?.name).toBe('DeterminismViolationError');
    });
  });
});
