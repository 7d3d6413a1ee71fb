// `djobs dev` stops on SIGTERM whatever state its Temporal server is in: killed, or hung
// (SIGSTOP), with a task in flight. The task's processes go with it. (That its MLflow server goes
// too, however dev ends, is a fault test: test/faults/dev-stop-mlflow.test.ts.)
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf, startDev, submitTo } from '../helpers/dev-process';
import { alive, job, sh, waitFor } from './harness';

describe('djobs dev stops on SIGTERM', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it.each([
    ['killed', 'SIGKILL'],
    ['hung', 'SIGSTOP'],
  ] as const)('with its Temporal server %s and a task in flight', async (_state, serverSignal) => {
    const { home, dev, stop, address: started, stopsOn } = startDev('djobs-dev-stop-');
    const owned = { server: 0 };
    cleanups.push(() => {
      if (owned.server && alive(owned.server)) process.kill(owned.server, 'SIGKILL');
      stop();
    });
    const address = await started;
    const server = childrenOf(dev.pid!, 'start-dev')[0]!;
    expect(server).toBeDefined();
    owned.server = server;

    const pidFile = path.join(home, 'task.pid');
    await submitTo(
      address,
      job('in flight', [sh('t', `echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}; sleep 300`)]),
      home
    );
    await waitFor(() => fs.existsSync(pidFile), 'the task to start', 60_000);
    const task = Number(fs.readFileSync(pidFile, 'utf8'));

    process.kill(server, serverSignal);
    await stopsOn('SIGTERM');
    await waitFor(() => !alive(task), 'the task in flight to die with dev', 5_000);
    // A hung server is not left behind either.
    await waitFor(() => !alive(server), 'the Temporal server to be gone', 5_000);
  });
});

describe('djobs dev stops on Ctrl-C', () => {
  it('after a Python task ran, with its fork server holding a spare supervisor', async () => {
    const { home, dev, stop, address: started, stopsOn } = startDev('djobs-dev-sigint-');
    try {
      const address = await started;
      const script = path.join(home, 'hello.py');
      const ran = path.join(home, 'ran');
      fs.writeFileSync(script, `open(${JSON.stringify(ran)}, "w").close()\n`);
      await submitTo(
        address,
        job('python then ctrl-c', [{ task_key: 'py', spark_python_task: { python_file: script } }]),
        home
      );
      await waitFor(() => fs.existsSync(ran), 'the Python task to run', 60_000);
      // The fork server has forked the next attempt's supervisor ahead of it.
      const forkServer = await waitFor(() => childrenOf(dev.pid!, 'forkserver.py')[0], 'the fork server');
      await waitFor(() => childrenOf(forkServer, 'forkserver.py').length > 0, 'a spare supervisor');

      await stopsOn('SIGINT');
      await waitFor(() => !alive(forkServer), 'the fork server to be gone with dev', 5_000);
    } finally {
      stop();
    }
  });
});
