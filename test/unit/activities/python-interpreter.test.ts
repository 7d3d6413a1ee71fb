// The worker asks a Python shim for its real interpreter once, and tells apart the environment
// variables that shape an interpreter as it starts (a fork server serves only attempts with the same).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pythonStartupEnv } from '../../../activities/python-fork-server';
import { pythonInstall, realPython } from '../../../activities/python-interpreter';

describe('realPython', () => {
  it("resolves a version manager's shim to the interpreter it runs, asking the shim once", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-shim-'));
    const calls = path.join(dir, 'calls');
    const shim = path.join(dir, 'python3');
    // What pyenv's and asdf's shims are: a shell script that picks an interpreter and execs it.
    fs.writeFileSync(shim, `#!/bin/sh\necho call >> ${calls}\nexec python3 "$@"\n`, { mode: 0o755 });
    const real = execFileSync('python3', ['-I', '-S', '-c', 'import sys; print(sys.executable)'], {
      encoding: 'utf8',
    }).trim();
    expect(await realPython(shim)).toBe(real);
    expect(await realPython(shim)).toBe(real);
    expect(fs.readFileSync(calls, 'utf8')).toBe('call\n');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("counts a venv's own directory among its installation's prefixes (a sandboxed task sees its site-packages)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-venv-'));
    const venv = path.join(dir, 'venv');
    execFileSync('python3', ['-m', 'venv', '--without-pip', venv]);
    const base = execFileSync('python3', ['-I', '-c', 'import sys; print(sys.base_prefix)'], {
      encoding: 'utf8',
    }).trim();
    const install = await pythonInstall(path.join(venv, 'bin', 'python'));
    expect(install.executable).toBe(path.join(venv, 'bin', 'python'));
    expect(install.prefixes).toEqual(expect.arrayContaining([venv, base]));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a name it cannot run, so that starting it reports the problem', async () => {
    expect(await realPython('/no/such/python3')).toBe('/no/such/python3');
  });
});

describe('pythonStartupEnv', () => {
  it('keeps the PYTHON*, locale and dynamic-linker variables, sorted', () => {
    expect(
      pythonStartupEnv({
        PYTHONPATH: '/plugins',
        DJOBS_RUN_ID: '1',
        LC_ALL: 'C.UTF-8',
        PATH: '/bin',
        LANG: 'C',
        PYTHONUNBUFFERED: '1',
        LD_LIBRARY_PATH: '/opt/lib',
        HOME: '/root',
        LANGX: 'no',
      })
    ).toEqual({
      LANG: 'C',
      LC_ALL: 'C.UTF-8',
      LD_LIBRARY_PATH: '/opt/lib',
      PYTHONPATH: '/plugins',
      PYTHONUNBUFFERED: '1',
    });
    expect(Object.keys(pythonStartupEnv({ PYTHONPATH: 'a', LANG: 'b' }))).toEqual(['LANG', 'PYTHONPATH']);
  });
});
