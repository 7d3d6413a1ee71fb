// TLS in transit: the CLI's client and a `djobs worker` reach Temporal through a TLS-terminating
// proxy that demands a client certificate (mTLS, gRPC over TLS in front, plaintext behind), and
// `djobs api` serves HTTPS; all with a CA made by the test.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../servers/dev-server';
import { startEngine, waitFor, type Engine } from './harness';

const exec = promisify(execFile);
const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate, signed by it. */
async function makeCertificates(
  dir: string
): Promise<Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string>> {
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => exec('openssl', args, { cwd: dir });
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=djobs test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem')
  );
  fs.writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject] of [
    ['server', '/CN=localhost'],
    ['client', '/CN=djobs-worker'],
  ] as const) {
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`)
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.pem`)
    );
  }
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

describe('TLS', () => {
  let engine: Engine;
  let certs: Awaited<ReturnType<typeof makeCertificates>>;
  let proxy: tls.Server;
  let proxyAddress: string;
  let tlsConnections = 0;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    engine = await startEngine('tls', { worker: false });
    certs = await makeCertificates(engine.workDir);
    const [host, port] = [engine.address.split(':')[0]!, Number(engine.address.split(':')[1])];
    proxy = tls.createServer(
      {
        cert: fs.readFileSync(certs.serverCert),
        key: fs.readFileSync(certs.serverKey),
        ca: fs.readFileSync(certs.ca),
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      },
      (socket) => {
        tlsConnections++;
        const upstream = net.connect({ host, port });
        socket.pipe(upstream).pipe(socket);
        const close = () => (socket.destroy(), upstream.destroy());
        socket.on('error', close);
        upstream.on('error', close);
      }
    );
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyAddress = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise<void>((r) => (c.exitCode === null ? c.once('exit', () => r()) : r())))
    );
    proxy?.close();
    await engine?.stop();
  });

  const tlsEnv = () => ({
    ...process.env,
    TEMPORAL_ADDRESS: proxyAddress,
    DJOBS_TASK_QUEUE: engine.taskQueue,
    DJOBS_HOME: engine.dataDir,
    TEMPORAL_TLS_CA: certs.ca,
    TEMPORAL_TLS_CERT: certs.clientCert,
    TEMPORAL_TLS_KEY: certs.clientKey,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
  });

  it('a worker and the CLI run a job through the mTLS proxy; without the CA the CLI cannot connect', async () => {
    const worker = spawn(process.execPath, [cli, 'worker'], { env: tlsEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(worker);
    let workerOut = '';
    worker.stdout.on('data', (d: Buffer) => (workerOut += d.toString()));
    worker.stderr.on('data', (d: Buffer) => (workerOut += d.toString()));
    await waitFor(() => workerOut.includes('djobs worker:'), `the worker to start (${workerOut})`, 60_000);
    const spec = path.join(engine.workDir, 'job.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({ name: 'over tls', tasks: [{ task_key: 't', shell_command_task: { command: 'echo via-tls' } }] })
    );
    const before = tlsConnections;
    const { stdout } = await exec(process.execPath, [cli, 'run', spec, '-o', 'json'], {
      env: tlsEnv(),
      timeout: 90_000,
    });
    expect((JSON.parse(stdout) as { state: { result_state: string } }).state.result_state).toBe('SUCCESS');
    expect(tlsConnections).toBeGreaterThan(before);

    const { TEMPORAL_TLS_CA: _ca, ...noCa } = tlsEnv();
    const refused = await exec(process.execPath, [cli, 'jobs', 'list'], { env: noCa, timeout: 60_000 }).then(
      () => 0,
      (err: { code: number }) => err.code
    );
    expect(refused).toBe(3);
  }, 180_000);

  it('djobs api serves HTTPS with the given certificate, and reaches Temporal over TLS', async () => {
    const port = await freePort();
    const api = spawn(process.execPath, [cli, 'api', '--port', String(port)], {
      env: {
        ...tlsEnv(),
        DJOBS_API_TOKEN: 'tls-admin-token-0123456789',
        DJOBS_API_TLS_CERT: certs.serverCert,
        DJOBS_API_TLS_KEY: certs.serverKey,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(api);
    let out = '';
    api.stdout.on('data', (d: Buffer) => (out += d.toString()));
    api.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('durable-jobs API at'), `the API to start (${out})`, 60_000);
    expect(out).toContain(`durable-jobs API at https://127.0.0.1:${port}/api/2.1/jobs`);
    const get = (ca?: Buffer) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = https.get(
          {
            host: '127.0.0.1',
            port,
            servername: 'localhost',
            path: '/api/2.1/jobs/list',
            headers: { authorization: 'Bearer tls-admin-token-0123456789' },
            ...(ca ? { ca } : {}),
          },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          }
        );
        req.on('error', reject);
      });
    const ok = await get(fs.readFileSync(certs.ca));
    expect(ok.status).toBe(200);
    await expect(get()).rejects.toThrow('unable to verify the first certificate');
  }, 120_000);
});
