// An environment's requirement lines that name workspace, volume or DBFS files (a bundle's
// uploaded wheel) are installed from the workspace root's file, read for the run's principal.
import { describe, expect, it } from 'vitest';
import { requirementsOnDisk, RuntimeSetupError } from '../../../activities/task-runtime';

describe('requirementsOnDisk', () => {
  const root = '/data/workspace';
  const resolve = (p: string, what: string) => {
    if (p.includes('secret')) throw new Error(`${what} ${p} does not exist.`);
    return `${root}${p.replace(/^dbfs:/, '/dbfs')}`;
  };

  it('workspace, volume and DBFS paths become their files in the root; packages and local paths stay', () => {
    expect(
      requirementsOnDisk(
        [
          '/Workspace/Users/alice/.bundle/p/dev/artifacts/.internal/p-0.0.1-py3-none-any.whl',
          '-r /Volumes/main/default/libs/requirements.txt',
          'dbfs:/libs/x-1.0-py3-none-any.whl',
          'pandas==2.2.3',
          '/opt/wheels/local-1.0-py3-none-any.whl',
          '--extra-index-url https://example.com/simple',
        ],
        resolve
      )
    ).toEqual([
      '/data/workspace/Workspace/Users/alice/.bundle/p/dev/artifacts/.internal/p-0.0.1-py3-none-any.whl',
      '-r /data/workspace/Volumes/main/default/libs/requirements.txt',
      '/data/workspace/dbfs/libs/x-1.0-py3-none-any.whl',
      'pandas==2.2.3',
      '/opt/wheels/local-1.0-py3-none-any.whl',
      '--extra-index-url https://example.com/simple',
    ]);
  });

  it('a file the principal may not read fails the install, in the resolver’s words', () => {
    let caught: unknown;
    try {
      requirementsOnDisk(['/Workspace/Users/bob/secret.whl'], resolve);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RuntimeSetupError);
    expect((caught as RuntimeSetupError).terminationCode).toBe('LIBRARY_INSTALLATION_ERROR');
    expect((caught as RuntimeSetupError).message).toBe('Library /Workspace/Users/bob/secret.whl does not exist.');
  });
});
