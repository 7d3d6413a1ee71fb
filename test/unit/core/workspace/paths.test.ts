import { describe, expect, it } from 'vitest';
import { PathProblem, displayPath, fsPath, objectIdOf, taskPath, workspaceApiPath } from '../../../../core';

describe('Databricks paths', () => {
  it.each([
    ['/Workspace/Users/a@x.com/etl', { kind: 'root', area: 'Workspace', segments: ['Users', 'a@x.com', 'etl'] }],
    ['/Users/a@x.com/etl', { kind: 'root', area: 'Workspace', segments: ['Users', 'a@x.com', 'etl'] }],
    ['/Shared/lib.py', { kind: 'root', area: 'Workspace', segments: ['Shared', 'lib.py'] }],
    ['/Volumes/main/default/v/a.csv', { kind: 'root', area: 'Volumes', segments: ['main', 'default', 'v', 'a.csv'] }],
    ['dbfs:/Volumes/main/default/v', { kind: 'root', area: 'Volumes', segments: ['main', 'default', 'v'] }],
    ['dbfs:/tmp/x', { kind: 'root', area: 'dbfs', segments: ['tmp', 'x'] }],
    ['/dbfs/tmp/x', { kind: 'root', area: 'dbfs', segments: ['tmp', 'x'] }],
    ['/tmp/job/etl.py', { kind: 'local', path: '/tmp/job/etl.py' }],
    ['file:/tmp/job/./etl.py', { kind: 'local', path: '/tmp/job/etl.py' }],
    ['file:///tmp/job/etl.py', { kind: 'local', path: '/tmp/job/etl.py' }],
    ['s3://bucket/code/etl.py', { kind: 's3', bucket: 'bucket', key: 'code/etl.py' }],
  ])('a task path %s', (p, expected) => {
    expect(taskPath(p)).toEqual(expected);
  });

  it('a relative task path is left to the caller; escapes and unknown schemes are refused', () => {
    expect(taskPath('etl/main.py')).toBeUndefined();
    expect(taskPath('/Workspace/Users/a/../../../etc/passwd')).toEqual(
      new PathProblem('/Workspace/Users/a/../../../etc/passwd: a path may not contain "..".')
    );
    expect(taskPath('/tmp/../etc/passwd')).toBeInstanceOf(PathProblem);
    expect(taskPath('s3://b/a/../../x')).toBeInstanceOf(PathProblem);
    expect(taskPath('gs://b/x')).toEqual(
      new PathProblem('gs://b/x: the gs: scheme is not supported (dbfs:, file:, s3: and absolute paths are).')
    );
  });

  it('dbutils.fs reads a path without a scheme as DBFS, except volumes and the workspace', () => {
    expect(fsPath('/tmp/x')).toEqual({ kind: 'root', area: 'dbfs', segments: ['tmp', 'x'] });
    expect(fsPath('/Volumes/c/s/v')).toEqual({ kind: 'root', area: 'Volumes', segments: ['c', 's', 'v'] });
    expect(fsPath('/Workspace/Shared/x')).toEqual({ kind: 'root', area: 'Workspace', segments: ['Shared', 'x'] });
    expect(fsPath('file:/Workspace/Shared/x')).toEqual({ kind: 'root', area: 'Workspace', segments: ['Shared', 'x'] });
    expect(fsPath('file:/etc/hosts')).toEqual({ kind: 'local', path: '/etc/hosts' });
    expect(fsPath('tmp/x')).toEqual(new PathProblem('tmp/x: expected an absolute path.'));
  });

  it('shows paths as Databricks does', () => {
    expect(displayPath({ kind: 'root', area: 'dbfs', segments: ['tmp', 'x'] })).toBe('dbfs:/tmp/x');
    expect(displayPath({ kind: 'root', area: 'Volumes', segments: ['c', 's', 'v', 'f'] })).toBe('/Volumes/c/s/v/f');
    expect(displayPath({ kind: 'root', area: 'Workspace', segments: ['Users', 'a'] })).toBe('/Workspace/Users/a');
    expect(displayPath({ kind: 's3', bucket: 'b', key: 'k' })).toBe('s3://b/k');
  });

  it('the Workspace API takes /Users/... and /Workspace/Users/... for one object, with a stable id', () => {
    expect(workspaceApiPath('/Workspace/Users/a/etl')).toEqual(['Users', 'a', 'etl']);
    expect(workspaceApiPath('/Users/a/etl')).toEqual(['Users', 'a', 'etl']);
    expect(workspaceApiPath('Users/a')).toBeInstanceOf(PathProblem);
    expect(objectIdOf(['Users', 'a', 'etl'])).toBe(objectIdOf(['Users', 'a', 'etl']));
    expect(objectIdOf(['Users', 'a', 'etl'])).not.toBe(objectIdOf(['Users', 'a', 'etm']));
    expect(Number.isSafeInteger(objectIdOf(['Users', 'a', 'etl']))).toBe(true);
  });
});
