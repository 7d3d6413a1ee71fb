// What a worker with a private umask (077) writes for tasks is made readable by every uid: task
// environments and checkouts (shareWithTasks), the workspace tree (mkdirShared, shareFile).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shareWithTasks } from '../../../activities/shared-with-tasks';
import { mkdirShared, shareFile } from '../../../workspace/disk-modes';

const mode = (p: string) => fs.lstatSync(p).mode & 0o7777;

describe('files written for tasks under a private umask', () => {
  let old: number;
  let dir: string;
  beforeEach(() => {
    old = process.umask(0o077);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-shared-'));
  });
  afterEach(() => {
    process.umask(old);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shareWithTasks opens files, executables and folders to all, leaves links alone, and can take writes away', async () => {
    const root = path.join(dir, 'env');
    fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(root, 'lib.py'), 'x = 1\n');
    fs.writeFileSync(path.join(root, 'bin', 'tool'), '#!/bin/sh\n', { mode: 0o700 });
    const target = path.join(dir, 'outside');
    fs.writeFileSync(target, 'not ours\n');
    fs.symlinkSync(target, path.join(root, 'bin', 'python'));
    expect(mode(path.join(root, 'lib.py'))).toBe(0o600);

    await shareWithTasks(root);
    expect(mode(root)).toBe(0o755);
    expect(mode(path.join(root, 'bin'))).toBe(0o755);
    expect(mode(path.join(root, 'lib.py'))).toBe(0o644);
    expect(mode(path.join(root, 'bin', 'tool'))).toBe(0o755);
    expect(mode(target)).toBe(0o600);

    await shareWithTasks(root, { readOnly: true });
    expect(mode(root)).toBe(0o555);
    expect(mode(path.join(root, 'lib.py'))).toBe(0o444);
    expect(mode(path.join(root, 'bin', 'tool'))).toBe(0o555);
    fs.chmodSync(root, 0o755);
    fs.chmodSync(path.join(root, 'bin'), 0o755);
  });

  it('mkdirShared makes every folder it creates 0755 and only those; shareFile makes a file 0644', () => {
    fs.mkdirSync(path.join(dir, 'kept'), { mode: 0o700 });
    mkdirShared(path.join(dir, 'kept', 'a', 'b'));
    expect(mode(path.join(dir, 'kept'))).toBe(0o700);
    expect(mode(path.join(dir, 'kept', 'a'))).toBe(0o755);
    expect(mode(path.join(dir, 'kept', 'a', 'b'))).toBe(0o755);
    mkdirShared(path.join(dir, 'kept', 'a', 'b'));
    const file = path.join(dir, 'kept', 'a', 'b', 'notebook.py');
    fs.writeFileSync(file, 'print(1)\n');
    shareFile(file);
    expect(mode(file)).toBe(0o644);
  });
});
