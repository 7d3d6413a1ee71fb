// Task paths for a principal: real paths under a root it may read; missing and forbidden alike.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../core';
import { resolveTaskFile, type PathReader } from '../../../workspace/task-paths';
import { WorkspaceTree } from '../../../workspace/tree';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-task-paths-'));
const root = path.join(dir, 'root');
const code = path.join(dir, 'code');
const tree = new WorkspaceTree(root);
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
};
write(path.join(root, 'Workspace', 'Users', 'alice', 'etl.py'), '# Databricks notebook source\nprint(1)\n');
write(path.join(root, 'Workspace', 'Users', 'alice', 'shared', 'lib.py'), 'x = 1\n');
write(path.join(root, 'Volumes', 'main', 'default', 'v', 'job.py'), 'print(1)\n');
write(path.join(code, 'job.py'), 'print(1)\n');
write(path.join(dir, 'secret.txt'), 'host file\n');
fs.mkdirSync(path.join(root, 'Workspace', 'Users', 'bob'), { recursive: true });
fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'Workspace', 'Users', 'bob', 'secret.txt'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const user = (name: string): Principal => ({ name, kind: 'user', groups: [], admin: false });
const reader = (who: Principal, more: Partial<PathReader> = {}): PathReader => ({
  who,
  grants: { '/Users/alice/shared': [{ user_name: 'bob', permission_level: 'CAN_READ' }] },
  localFiles: false,
  codeRoots: [code],
  ...more,
});
const resolve = (p: string, r: PathReader, discoverExtension = true) => {
  try {
    return resolveTaskFile(tree, p, r, { what: 'Notebook', discoverExtension });
  } catch (err) {
    return (err as Error).message;
  }
};
const real = (p: string) => fs.realpathSync(p);

describe('task paths', () => {
  it('a notebook of one’s own, without its extension, by either spelling', () => {
    const file = real(path.join(root, 'Workspace', 'Users', 'alice', 'etl.py'));
    expect(resolve('/Workspace/Users/alice/etl', reader(user('alice')))).toBe(file);
    expect(resolve('/Users/alice/etl', reader(user('alice')))).toBe(file);
  });

  it('another user’s notebook reads as missing; a shared folder is readable', () => {
    expect(resolve('/Workspace/Users/alice/etl', reader(user('bob')))).toBe(
      'Notebook /Workspace/Users/alice/etl does not exist.'
    );
    expect(resolve('/Workspace/Users/alice/nope', reader(user('bob')))).toBe(
      'Notebook /Workspace/Users/alice/nope does not exist.'
    );
    expect(resolve('/Workspace/Users/alice/shared/lib.py', reader(user('bob')))).toBe(
      real(path.join(root, 'Workspace', 'Users', 'alice', 'shared', 'lib.py'))
    );
  });

  it('volumes are everyone’s; local files only under the code roots, unless the reader may name any', () => {
    expect(resolve('/Volumes/main/default/v/job.py', reader(user('bob')))).toBe(
      real(path.join(root, 'Volumes', 'main', 'default', 'v', 'job.py'))
    );
    expect(resolve(path.join(code, 'job.py'), reader(user('bob')))).toBe(real(path.join(code, 'job.py')));
    expect(resolve(path.join(dir, 'secret.txt'), reader(user('bob')))).toBe(
      `Notebook ${path.join(dir, 'secret.txt')} does not exist.`
    );
    expect(resolve(path.join(dir, 'secret.txt'), reader(user('bob'), { localFiles: true }))).toBe(
      real(path.join(dir, 'secret.txt'))
    );
  });

  it('escapes are refused: .., relative paths, and symlinks out of the root', () => {
    expect(resolve('/Workspace/Users/bob/../alice/etl', reader(user('bob')))).toBe(
      'Notebook /Workspace/Users/bob/../alice/etl: a path may not contain "..".'
    );
    expect(resolve('../secret.txt', reader(user('bob')))).toBe('Notebook ../secret.txt does not exist.');
    expect(resolve('/Workspace/Users/bob/secret.txt', reader(user('bob')))).toBe(
      'Notebook /Workspace/Users/bob/secret.txt does not exist.'
    );
  });
});
