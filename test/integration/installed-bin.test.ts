// The `djobs` command as an installed user runs it: the package's bin (bin/djobs.cjs) as a
// subprocess, and the same bin put on PATH by a global install of this package into a temp prefix.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEngine } from './harness';
import { run } from './processes';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'djobs.cjs');

const exec = (file: string, args: string[], env: Record<string, string> = {}) =>
  run(file, args, { ...process.env, ...env });

describe('installed djobs bin', () => {
  const engine = useEngine('installed bin');

  it('--help prints the usage and exits 0', async () => {
    const r = await exec(process.execPath, [bin, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: djobs [options] [command]');
    expect(r.stdout).toContain('run [options] <file>');
  });

  it('a bad flag exits 2 with a message', async () => {
    const r = await exec(process.execPath, [bin, 'run', '--no-such-flag', 'x.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--no-such-flag'");
  });

  it('an invalid spec exits 2 and a failing run exits 1', async () => {
    const invalid = path.join(engine.workDir, 'invalid.json');
    fs.writeFileSync(invalid, JSON.stringify({ tasks: [{ task_key: 'a' }] }));
    expect((await exec(process.execPath, [bin, 'validate', invalid])).code).toBe(2);
  });

  it('run of a small spec reports SUCCESS, and a failing one exits 1', async () => {
    const env = { TEMPORAL_ADDRESS: engine.address, DJOBS_TASK_QUEUE: engine.taskQueue, DJOBS_HOME: engine.dataDir };
    const ok = path.join(engine.workDir, 'ok.json');
    fs.writeFileSync(
      ok,
      JSON.stringify({ name: 'bin', tasks: [{ task_key: 'a', shell_command_task: { command: 'true' } }] })
    );
    const r = await exec(process.execPath, [bin, '-o', 'json', 'run', ok], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { state: { result_state: string } }).state.result_state).toBe('SUCCESS');
    const bad = path.join(engine.workDir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ tasks: [{ task_key: 'a', shell_command_task: { command: 'exit 3' } }] }));
    expect((await exec(process.execPath, [bin, 'run', bad], env)).code).toBe(1);
  });

  it('a global install into a temp prefix puts a working djobs on PATH', async () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-prefix-'));
    try {
      // Installing a folder globally links it, as `npm link` does, and writes the bin shim.
      const install = await exec('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', root]);
      expect(install.stderr).not.toMatch(/ERR!/);
      expect(install.code).toBe(0);
      const pathEnv = `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`;
      const r = await exec('djobs', ['--help'], { PATH: pathEnv });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: djobs [options] [command]');
      expect(fs.realpathSync(path.join(prefix, 'bin', 'djobs'))).toBe(fs.realpathSync(bin));
    } finally {
      fs.rmSync(prefix, { recursive: true, force: true });
    }
  });
});
