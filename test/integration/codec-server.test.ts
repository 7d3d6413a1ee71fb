// The codec server on the REST API, as the Temporal Web UI and CLI call it: decodes a real run's
// encrypted payloads for an admin's token, refuses without one, fails closed on altered bytes;
// `djobs dev` creates its key and points its Web UI at the codec endpoint.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenMap, adminPrincipal } from '../../api/auth';
import { createApiServer } from '../../api/server';
import { freePort } from '../../servers/dev-server';
import { runWorkflowId } from '../../core';
import { startDjobsDev, startEngine, waitFor, type Engine } from './harness';

const ADMIN = 'codec-admin-token-0123456789';
const VIEWER = 'codec-viewer-token-0123456789';
const UI_ORIGIN = 'http://localhost:18233';
const MARKER = 'codec-marker-3c9e1';

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

describe('codec server', () => {
  let engine: Engine;
  let app: FastifyInstance;
  let base: string;
  let encrypted: JsonPayload;
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    engine = await startEngine('codec server');
    const tokens = new TokenMap();
    tokens.add({ plain: ADMIN }, adminPrincipal());
    tokens.add({ plain: VIEWER }, { name: 'viewer@example.com', kind: 'user', groups: [], admin: false });
    app = await createApiServer({
      client: engine.client,
      tokens,
      workspaceDir: engine.workDir,
      codec: { corsOrigins: [UI_ORIGIN], uiKey: 'ui-key-for-this-test' },
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const { run_id } = await engine.client.submitRun({
      name: 'codec',
      tasks: [{ task_key: 't', shell_command_task: { command: `echo ${MARKER}` } }],
    });
    await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    const history = await engine.temporal.workflow.getHandle(runWorkflowId(run_id)).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    encrypted = {
      metadata: Object.fromEntries(
        Object.entries(input.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])
      ),
      data: Buffer.from(input.data!).toString('base64'),
    };
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await engine?.stop();
  });

  const plainText = (p: JsonPayload) => Buffer.from(p.data, 'base64').toString();

  it('decodes a run input from history for an admin token, as the Web UI asks', async () => {
    expect(plainText(encrypted)).not.toContain(MARKER);
    const res = await post(
      '/codec/decode',
      { payloads: [encrypted] },
      { authorization: `Bearer ${ADMIN}`, 'x-namespace': 'default' }
    );
    expect(res.status).toBe(200);
    const { payloads } = (await res.json()) as { payloads: JsonPayload[] };
    expect(Buffer.from(payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(plainText(payloads[0]!)).toContain(MARKER);
  });

  it('refuses without a token, with an unknown one, and for a non-admin', async () => {
    const body = { payloads: [encrypted] };
    const none = await post('/codec/decode', body);
    expect([none.status, await none.json()]).toEqual([
      401,
      { error_code: 'UNAUTHENTICATED', message: 'Credential was not sent or was of an unsupported type for this API.' },
    ]);
    expect((await post('/codec/decode', body, { authorization: 'Bearer nope-nope-nope-nope' })).status).toBe(401);
    const viewer = await post('/codec/encode', body, { authorization: `Bearer ${VIEWER}` });
    expect([viewer.status, await viewer.json()]).toEqual([
      403,
      {
        error_code: 'PERMISSION_DENIED',
        message: 'viewer@example.com is not a workspace admin and cannot use the codec server.',
      },
    ]);
    expect((await post('/codec/ui/wrong-key-for-this-tests/decode', body)).status).toBe(401);
  });

  it('encodes and decodes round trip; an altered ciphertext fails closed with a clear error', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    const plain = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('"hi"').toString('base64'),
    };
    const enc = (await (await post('/codec/encode', { payloads: [plain] }, auth)).json()) as {
      payloads: JsonPayload[];
    };
    expect(Buffer.from(enc.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    const dec = (await (await post('/codec/decode', enc, auth)).json()) as { payloads: JsonPayload[] };
    expect(dec.payloads).toEqual([plain]);
    const bytes = Buffer.from(encrypted.data, 'base64');
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    const tampered = await post(
      '/codec/decode',
      { payloads: [{ ...encrypted, data: bytes.toString('base64') }] },
      auth
    );
    expect(tampered.status).toBe(400);
    expect(((await tampered.json()) as { message: string }).message).toBe(
      'Cannot decrypt a payload with key "test-run": authentication failed (the ciphertext was altered or the key is not the one it was encrypted with).'
    );
  });

  it('answers CORS preflights for the Web UI origin only; the UI path needs its key, not a token', async () => {
    const preflight = (origin: string) =>
      fetch(`${base}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const ok = await preflight(UI_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull(); // a bearer token, never cookies
    expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await preflight('http://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const viaUi = await post('/codec/ui/ui-key-for-this-test/decode', { payloads: [encrypted] }, { origin: UI_ORIGIN });
    expect(viaUi.status).toBe(200);
    expect(viaUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  });

  it('djobs dev creates its key file (0600, never printed) and starts the Web UI with its codec endpoint', async () => {
    const home = path.join(engine.workDir, 'dev-home');
    const apiPort = await freePort();
    const dev = startDjobsDev({
      home,
      apiPort,
      args: ['--no-mlflow'],
      env: { DJOBS_ENCRYPTION_KEYS: '', DJOBS_API_TOKEN: ADMIN },
    });
    try {
      const uiUrl = await waitFor(
        () => {
          if (dev.exitCode() !== null) throw new Error(`djobs dev exited: ${dev.output()}`);
          return /Web UI at (\S+),/.exec(dev.output())?.[1];
        },
        'djobs dev to start',
        120_000
      );
      const keyFile = path.join(home, 'encryption-keys');
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
      const key = /^(k\d{8}):(\S+)$/m.exec(fs.readFileSync(keyFile, 'utf8'))!;
      expect(key).not.toBeNull();
      const settings = await waitFor(async () => {
        const res = await fetch(`${uiUrl}/api/v1/settings`);
        return res.ok ? ((await res.json()) as { Codec: { Endpoint: string } }) : undefined;
      }, 'the Web UI settings');
      const endpoint = settings.Codec.Endpoint;
      expect(endpoint).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${apiPort}/codec/ui/[A-Za-z0-9_-]{32}$`));
      // The endpoint's key is on no process's command line (`ps` shows those to every user), and
      // the file it reached the server in is gone.
      const uiKey = endpoint.slice(endpoint.lastIndexOf('/') + 1);
      const commandLines = fs
        .readdirSync('/proc')
        .filter((e) => /^\d+$/.test(e))
        .map((e) => {
          try {
            return fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
          } catch {
            return '';
          }
        });
      expect(commandLines.some((c) => c.includes('start-dev'))).toBe(true);
      expect(commandLines.filter((c) => c.includes(uiKey))).toEqual([]);
      expect(fs.existsSync(path.join(home, 'temporal-ui-codec.yaml'))).toBe(false);
      // The data directory is its owner's alone, and so are the files dev and its server write there.
      expect(fs.statSync(home).mode & 0o777).toBe(0o700);
      for (const file of ['temporal.db', 'server.log', 'server.lock'])
        expect([file, fs.statSync(path.join(home, file)).mode & 0o777]).toEqual([file, 0o600]);
      const plain = {
        metadata: { encoding: Buffer.from('json/plain').toString('base64') },
        data: Buffer.from('"x"').toString('base64'),
      };
      const enc = await waitFor(async () => {
        const res = await fetch(`${endpoint}/encode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: new URL(uiUrl).origin },
          body: JSON.stringify({ payloads: [plain] }),
        });
        return res.ok ? res : undefined;
      }, 'the dev codec endpoint');
      expect(enc.headers.get('access-control-allow-origin')).toBe(new URL(uiUrl).origin);
      const { payloads } = (await enc.json()) as { payloads: JsonPayload[] };
      expect(Buffer.from(payloads[0]!.metadata['encryption-key-id']!, 'base64').toString()).toBe(key[1]);
      expect(dev.output()).not.toContain(key[2]);
    } finally {
      await dev.stop();
    }
  }, 240_000);
});
