// docker-compose.yml's Temporal Web UI decodes payloads with the codec token, run natively: the
// API as the compose's `djobs-api` runs it (its environment, secret files mapped here, and a
// principals file), the Temporal UI with the codec endpoint the compose's `temporal-ui` builds
// from its secret, and headless Chromium on the UI's page of a run, where the run's input shows
// decoded. The codec token is refused by every other route of the API (401 or 403).
//
// The UI server: the one the `temporal` CLI embeds (github.com/temporalio/ui-server, the program
// of the compose's temporalio/ui image), on a dev server of this test's own. The CLI takes the
// codec endpoint as --ui-codec-endpoint, where the image reads TEMPORAL_CODEC_ENDPOINT; the two
// other codec settings the compose names, TEMPORAL_CODEC_PASS_ACCESS_TOKEN and
// TEMPORAL_CODEC_INCLUDE_CREDENTIALS, are `false` there as they are by default here (the CLI has no
// flags for them). No worker: the run's input is in its first event, which the page decodes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableJobsClient, setupNamespace } from '../../client';
import { TokenMap } from '../../api/auth';
import { createApiServer } from '../../api/server';
import { runWorkflowId } from '../../core';
import { generateKeyLine } from '../../encryption/key-ring';
import { launchChromium } from '../../scripts/chromium';
import { freePort, startDevServer, type DevServer } from '../../servers/dev-server';
import { composeServices } from '../../servers/native-cluster';
import { findTemporalCli } from '../../servers/temporal-cli';
import { installTestRuntime, waitFor, writePrincipalsFile, tokenOf } from './harness';

const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
const ADMIN = `compose-ui-admin-${randomBytes(12).toString('hex')}`;
const CODEC = `compose-ui-codec-${randomBytes(12).toString('hex')}`;
const MARKER = 'compose-codec-marker-7d2a';

/** Every route of the API with its methods, from Fastify's route tree (printRoutes). */
function routesOf(tree: string): { url: string; methods: string[] }[] {
  const out: { url: string; methods: string[] }[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)(?:[├└]── )?(\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = Math.floor(m[1]!.length / 4);
    stack.length = depth;
    const url = (stack[depth - 1] ?? '') + m[2]!;
    stack.push(url);
    if (m[3]) out.push({ url, methods: m[3].split(', ').filter((x) => x !== 'HEAD' && x !== 'OPTIONS') });
  }
  return out;
}

describe("the compose's Temporal UI decodes payloads with the codec token", () => {
  let dir: string;
  let server: DevServer;
  let api: ChildProcess;
  let apiOutput = '';
  let apiBase: string;
  let uiOrigin: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    installTestRuntime();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-compose-ui-'));
    const secrets = path.join(dir, 'secrets');
    fs.mkdirSync(secrets);
    fs.writeFileSync(path.join(secrets, 'encryption-keys'), `${generateKeyLine('k1')}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(secrets, 'api-token'), `${ADMIN}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(secrets, 'codec-token'), `${CODEC}\n`, { mode: 0o600 });
    const principals = writePrincipalsFile(dir, [{ who: 'bob' }]);
    const apiPort = await freePort();

    // The compose's temporal-ui: its endpoint, the token read from its secret file, the API's port here.
    const services = composeServices();
    const entrypoint = ([] as string[]).concat(services['temporal-ui']!.entrypoint ?? []).join(' ');
    const template = /TEMPORAL_CODEC_ENDPOINT="([^"]+)"/.exec(entrypoint)?.[1];
    expect(template).toBe('http://localhost:8080/codec/ui/$$(cat /run/secrets/djobs-codec-token)');
    const endpoint = template!
      .replace(
        '$$(cat /run/secrets/djobs-codec-token)',
        fs.readFileSync(path.join(secrets, 'codec-token'), 'utf8').trim()
      )
      .replace('localhost:8080', `localhost:${apiPort}`);
    const cliPath = await findTemporalCli({});
    if (!cliPath) throw new Error('The temporal CLI was not found: run `npm run ensure-temporal`.');
    server = await startDevServer({ cliPath, port: 0, extraArgs: ['--ui-codec-endpoint', endpoint] });
    await setupNamespace({ address: server.address });
    uiOrigin = `http://localhost:${new URL(server.uiUrl!).port}`;

    // The compose's djobs-api, with a principals file.
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('DJOBS_') || key.startsWith('TEMPORAL_')) delete env[key];
    for (const [key, value] of Object.entries(services['djobs-api']!.environment ?? {}))
      env[key] = value
        .replace('temporal:7233', server.address)
        .replace('/run/secrets/djobs-', `${secrets}/`)
        .replace(/^\/data$/, path.join(dir, 'data'))
        .replace('http://localhost:8233', uiOrigin);
    env.DJOBS_API_PRINCIPALS = principals;
    api = spawn(process.execPath, [cli, 'api', '--host', '127.0.0.1', '--port', String(apiPort)], {
      env,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => (apiOutput += d.toString());
    api.stdout!.on('data', keep);
    api.stderr!.on('data', keep);
    apiBase = `http://127.0.0.1:${apiPort}`;
    await waitFor(
      async () => {
        if (api.exitCode !== null) throw new Error(`djobs api exited: ${apiOutput}`);
        return (await fetch(`${apiBase}/readyz`)).status === 200;
      },
      () => `the API to be ready: ${apiOutput}`,
      60_000
    );
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (api && api.exitCode === null) {
      api.kill('SIGTERM');
      await waitFor(() => api.exitCode !== null || api.signalCode !== null, 'the API to stop').catch(() =>
        api.kill('SIGKILL')
      );
    }
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shows a run's input decoded on the Temporal UI's page, through the codec token's endpoint only", async () => {
    const submitted = await fetch(`${apiBase}/api/2.1/jobs/runs/submit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        run_name: 'codec',
        tasks: [{ task_key: 't', shell_command_task: { command: `echo ${MARKER}` } }],
      }),
    });
    expect(submitted.status).toBe(200);
    const { run_id } = (await submitted.json()) as { run_id: number };

    const page = await browser!.newPage();
    const codecCalls: { url: string; authorization?: string }[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/codec/'))
        codecCalls.push({ url: req.url(), authorization: req.headers().authorization });
    });
    await page.goto(`${uiOrigin}/namespaces/default/workflows/${runWorkflowId(run_id)}`);
    await page.waitForFunction(
      (marker) =>
        (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes(
          marker
        ),
      MARKER,
      { timeout: 60_000 }
    );
    await page.close();
    expect(codecCalls.length).toBeGreaterThan(0);
    for (const call of codecCalls) {
      expect(call.url.startsWith(`${apiBase.replace('127.0.0.1', 'localhost')}/codec/ui/`)).toBe(true);
      expect(call.authorization).toBeUndefined();
    }
    expect(JSON.stringify(codecCalls)).not.toContain(ADMIN);
  });

  it('refuses the codec token on every other route: encode 403, the rest as if no token was sent', async () => {
    // The compose's API process, a few calls (each refusal counts toward its limit of failed
    // authentications per address, 30 a minute).
    const asCodec = (method: string, url: string, body = '{}') =>
      fetch(`${apiBase}${url}`, {
        method,
        headers: { authorization: `Bearer ${CODEC}`, 'content-type': 'application/json' },
        ...(method === 'GET' ? {} : { body }),
      }).then((r) => r.status);
    expect(await asCodec('GET', '/api/2.1/jobs/list')).toBe(401);
    expect(await asCodec('POST', '/api/2.1/jobs/runs/submit')).toBe(401);
    expect(await asCodec('GET', '/api/2.0/preview/scim/v2/Me')).toBe(401);
    expect(await asCodec('POST', '/codec/encode', '{"payloads":[]}')).toBe(403);
    expect(await asCodec('POST', `/codec/ui/${CODEC}/encode`, '{"payloads":[]}')).toBe(403);
    expect(await asCodec('POST', '/codec/decode', '{"payloads":[]}')).toBe(200);
    const bob = await fetch(`${apiBase}/codec/decode`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenOf('bob')}`, 'content-type': 'application/json' },
      body: '{"payloads":[]}',
    });
    expect(bob.status).toBe(403); // bob, of the principals file, is no admin

    // Every route: the same server code in this process, with the same codec token and no limit
    // on failed authentications, each route and method called with the codec token and without.
    const client = await DurableJobsClient.connect({ address: server.address });
    const app = await createApiServer({
      client,
      tokens: new TokenMap(),
      workspaceDir: dir,
      codec: { decodeToken: CODEC },
      failedAuthLimit: { max: 1_000_000, windowMs: 60_000 },
    });
    try {
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const routes = routesOf(app.printRoutes({ commonPrefix: false }));
      expect(routes.length).toBeGreaterThan(50);
      const call = async (method: string, url: string, authorization?: string) =>
        (
          await fetch(`${base}${url}`, {
            method,
            headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
            ...(method === 'GET' ? {} : { body: '{}' }),
          })
        ).status;
      const refused: string[] = [];
      const wrong: string[] = [];
      for (const { url: pattern, methods } of routes)
        for (const method of methods) {
          const url = pattern.replace(/:[A-Za-z_]+/g, (p) => (p === ':key' ? CODEC : '1')).replace(/\*$/, 'x');
          const withCodec = await call(method, url, `Bearer ${CODEC}`);
          const what = `${method} ${pattern}`;
          if (/^\/codec\/(ui\/:key\/)?decode$/.test(pattern)) {
            // Accepted: an empty body is then a bad request.
            if (withCodec !== 400) wrong.push(`${what}: ${withCodec}, expected 400 for an empty body`);
          } else if (/^\/codec\/(ui\/:key\/)?encode$/.test(pattern)) {
            if (withCodec !== 403) wrong.push(`${what}: ${withCodec}`);
          } else {
            // A route that needs a token answers the codec token as it answers none; a public one
            // (probes, the web UI's files, sign-in) as it answers anyone.
            const without = await call(method, url);
            if (without === 401 ? withCodec !== 401 : withCodec !== without)
              wrong.push(`${what}: ${withCodec} (${without} without a token)`);
            if (without === 401) refused.push(what);
          }
        }
      expect(wrong).toEqual([]);
      expect(refused.length).toBeGreaterThan(50);
      expect(refused).toEqual(expect.arrayContaining(['GET /api/2.1/jobs/list', 'POST /api/2.1/jobs/runs/submit']));
    } finally {
      await app.close();
      await client.close();
    }
  });
});
