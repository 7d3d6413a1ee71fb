import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { environmentKey } from '../../../activities/environments';
import { markUsed, removeUnused } from '../../../activities/unused-dirs';
import { parseEnvFile, RuntimeSetupError } from '../../../activities/task-runtime';
import { wheelArguments } from '../../../activities/wheel-task';

const made: string[] = [];
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-env-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) {
    execFileSync('chmod', ['-R', 'u+w', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('task environments', () => {
  it('are keyed by content: the interpreter, the lines, and the bytes of the local files they name', () => {
    const dir = tmp();
    const whl = path.join(dir, 'pkg-1.0-py3-none-any.whl');
    fs.writeFileSync(whl, 'one');
    const a = environmentKey('/usr/bin/python3', ['six==1.16.0', whl]);
    expect(environmentKey('/usr/bin/python3', ['six==1.16.0', whl])).toBe(a);
    expect(environmentKey('/usr/bin/python3.12', ['six==1.16.0', whl])).not.toBe(a);
    expect(environmentKey('/usr/bin/python3', ['six==1.17.0', whl])).not.toBe(a);
    fs.writeFileSync(whl, 'two'); // a rebuilt wheel of the same name
    expect(environmentKey('/usr/bin/python3', ['six==1.16.0', whl])).not.toBe(a);
  });

  it('are removed once unused for the maximum age, unless being built, read-only ones too', () => {
    const root = tmp();
    const make = (name: string, ageMs: number) => {
      const dir = path.join(root, name);
      fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'sub', 'file'), 'x');
      fs.chmodSync(path.join(dir, 'sub'), 0o555); // as a Git checkout is
      const t = (Date.now() - ageMs) / 1000;
      fs.utimesSync(dir, t, t);
    };
    const day = 24 * 3600 * 1000;
    make('fresh', day);
    make('old', 10 * day);
    make('used-now', 10 * day);
    markUsed(path.join(root, 'used-now'));
    make('building', 10 * day);
    fs.mkdirSync(path.join(root, 'building.lock'));
    fs.mkdirSync(path.join(root, '.uv-cache'));
    expect(removeUnused(root, 7 * day)).toEqual(['old']);
    expect(fs.readdirSync(root).sort()).toEqual(['.uv-cache', 'building', 'building.lock', 'fresh', 'used-now']);
  });

  it('.env files: KEY=VALUE lines, comments and blank lines; anything else fails the attempt', () => {
    const file = path.join(tmp(), 'a.env');
    fs.writeFileSync(file, '# settings\nMY_VAR=a=b c\n\nEMPTY=\n');
    expect(parseEnvFile(file)).toEqual({ MY_VAR: 'a=b c', EMPTY: '' });
    fs.writeFileSync(file, 'export X=1\n');
    expect(() => parseEnvFile(file)).toThrow(RuntimeSetupError);
    expect(() => parseEnvFile(`${file}.missing`)).toThrow(/does not exist/);
  });

  it("python_wheel_task's argv: parameters as given, named_parameters as --name=value", () => {
    expect(wheelArguments({ package_name: 'p', entry_point: 'm', parameters: ['a', '--b'] })).toEqual(['a', '--b']);
    expect(
      wheelArguments({ package_name: 'p', entry_point: 'm', named_parameters: { name: 'task', data: 'x=1' } })
    ).toEqual(['--name=task', '--data=x=1']);
  });
});
