// `djobs dev --mlflow` never leaves its MLflow server behind, however dev ends: killed with -9
// (its parent gone, no handler run), the hard stop (SIGTERM with its Temporal server hung), or
// Ctrl-C. The server and its uvicorn worker run in a process group led by a watchdog that reads a
// pipe from dev (servers/mlflow-server.ts). Each case starts MLflow afresh (about 15 s), so these
// run with the fault tests, not in npm test.
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf, groupMembers, startDev } from '../helpers/dev-process';
import { alive, waitFor } from '../integration/harness';

describe('djobs dev --mlflow leaves no MLflow server behind', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it.each([
    ['killed with SIGKILL (its parent gone, no handler run)', 'SIGKILL', undefined],
    ['stopped by SIGTERM with its Temporal server hung (the hard stop)', 'SIGTERM', 'SIGSTOP'],
    ['stopped by Ctrl-C', 'SIGINT', undefined],
  ] as const)('%s', async (_how, devSignal, serverSignal) => {
    const { dev, stop, address, output } = startDev('djobs-dev-mlflow-', { mlflow: true });
    const owned = { group: 0, server: 0 };
    cleanups.push(() => {
      if (owned.server && alive(owned.server)) process.kill(owned.server, 'SIGKILL');
      if (owned.group && groupMembers(owned.group).length > 0) process.kill(-owned.group, 'SIGKILL');
      stop();
    });
    await address;
    // MLflow is up (its first start migrates its database): the server and its uvicorn worker.
    await waitFor(() => output().includes('MLflow UI: http://127.0.0.1:'), 'the MLflow server to answer', 180_000);
    // The group's leader: the watchdog that starts `mlflow server` (servers/mlflow-server.ts).
    const group = childrenOf(dev.pid!, '"mlflow", "server"')[0]!;
    expect(group, output()).toBeDefined();
    owned.group = group;
    await waitFor(() => groupMembers(group).length >= 3, 'the MLflow server and its uvicorn worker');
    owned.server = childrenOf(dev.pid!, 'start-dev')[0]!; // left running by a killed dev: ended here
    if (serverSignal) process.kill(owned.server, serverSignal);
    dev.kill(devSignal);
    await waitFor(() => dev.exitCode !== null || dev.signalCode !== null, 'djobs dev to exit', 30_000);
    await waitFor(() => groupMembers(group).length === 0, `the MLflow process group ${group} to be gone`, 30_000);
  });
});
