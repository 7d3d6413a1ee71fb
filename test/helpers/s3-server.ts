// A real S3-compatible server for tests: moto's standalone server (from PyPI, installed into
// .tools/ on first use like the Temporal CLI), spoken to over HTTP with the AWS SDK.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../servers/dev-server';
import { pipInstallOnce } from '../../scripts/python-packages';

const MOTO = 'moto[s3]==5.1.0';
const dir = path.join(__dirname, '..', '..', '.tools', 'moto-5.1.0');

const ensureMoto = () =>
  pipInstallOnce(dir, path.join(dir, 'moto', 'server.py'), [MOTO, 'flask==3.1.3', 'flask-cors==6.0.5']);

export interface S3Server {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startS3Server(): Promise<S3Server> {
  ensureMoto();
  const port = await freePort();
  const child: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, PYTHONPATH: dir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto server exited: ${stderr}`);
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto server did not answer on ${endpoint}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
