// /api/2.0/notification-destinations over real HTTP: workspace admins create, update and delete;
// every user lists and gets (the config only for admins); Databricks error bodies; secrets never
// in a response; list pages follow page_token. Then the official Python SDK and `djobs
// notification-destinations` drive the same records.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenMap, adminPrincipal } from '../../api/auth';
import { createApiServer } from '../../api/server';
import type { NotificationMessage } from '../../core/notifications/message';
import { deliverToDestination } from '../../notifications/destinations';
import { ensurePythonSdk, pythonSdkDir, runCompatScript } from '../helpers/compat';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { useEngine, waitFor } from './harness';

const exec = promisify(execFile);
const TOKENS = { admin: 'destinations-admin-token-01', alice: 'destinations-alice-token-01' };
const SECRETS = ['slack-secret-path-3f9a', 'pd-secret-key-8812', 'hook-secret-password-c0de', 'hook-user-77'];

type Who = keyof typeof TOKENS;
interface Reply {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

describe('notification destinations API', () => {
  const engine = useEngine('notification destinations api', { worker: false });
  let app: FastifyInstance;
  let base: string;
  let receiver: HttpReceiver;
  /** Every response text, checked at the end for secrets. */
  const seen: string[] = [];
  const call = async (who: Who, method: string, p = '', body?: unknown): Promise<Reply> => {
    const res = await fetch(`${base}/api/2.0/notification-destinations${p}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKENS[who]}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    seen.push(text);
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text };
  };

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    const tokens = new TokenMap();
    tokens.add({ plain: TOKENS.admin }, adminPrincipal());
    tokens.add({ plain: TOKENS.alice }, { name: 'alice@example.com', kind: 'user', groups: [], admin: false });
    app = await createApiServer({ client: engine.client, tokens, workspaceDir: engine.workDir });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  it('admins create each receiver; responses show *_set flags, never a secret', async () => {
    const slack = await call('admin', 'POST', '', {
      display_name: 'api slack',
      config: { slack: { url: `${receiver.base}/services/${SECRETS[0]}` } },
    });
    expect(slack.status).toBe(200);
    expect(slack.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      display_name: 'api slack',
      destination_type: 'SLACK',
      config: { slack: { url_set: true } },
    });
    const pd = await call('admin', 'POST', '', {
      display_name: 'api pd',
      config: { pagerduty: { integration_key: SECRETS[1] } },
    });
    expect(pd.body).toMatchObject({
      destination_type: 'PAGERDUTY',
      config: { pagerduty: { integration_key_set: true } },
    });
    const teams = await call('admin', 'POST', '', {
      display_name: 'api teams',
      config: { microsoft_teams: { url: 'https://example.webhook.office.com/webhookb2/x' } },
    });
    expect(teams.body).toMatchObject({
      destination_type: 'MICROSOFT_TEAMS',
      config: { microsoft_teams: { url_set: true } },
    });
    const hook = await call('admin', 'POST', '', {
      display_name: 'api hook',
      config: { generic_webhook: { url: `${receiver.base}/hook`, username: SECRETS[3], password: SECRETS[2] } },
    });
    expect(hook.body).toMatchObject({
      destination_type: 'WEBHOOK',
      config: { generic_webhook: { url_set: true, username_set: true, password_set: true } },
    });
    const mail = await call('admin', 'POST', '', {
      display_name: 'api mail',
      config: { email: { addresses: ['ops@example.com'] } },
    });
    expect(mail.body).toMatchObject({
      destination_type: 'EMAIL',
      config: { email: { addresses: ['ops@example.com'] } },
    });

    const got = await call('admin', 'GET', `/${hook.body.id as string}`);
    expect(got.body).toEqual(hook.body);
  });

  it('non-admins list and get without the config, and may not create, update or delete', async () => {
    const created = await call('admin', 'POST', '', {
      display_name: 'guarded',
      config: { pagerduty: { integration_key: SECRETS[1] } },
    });
    const id = created.body.id as string;
    expect(await call('alice', 'GET', `/${id}`)).toMatchObject({
      status: 200,
      body: { id, display_name: 'guarded', destination_type: 'PAGERDUTY' },
    });
    expect((await call('alice', 'GET', `/${id}`)).body.config).toBeUndefined();
    const denied = (verb: string) => ({
      error_code: 'PERMISSION_DENIED',
      message: `alice@example.com is not a workspace admin: only workspace admins can ${verb} notification destinations.`,
    });
    expect(
      await call('alice', 'POST', '', { display_name: 'x', config: { email: { addresses: ['a@example.com'] } } })
    ).toMatchObject({
      status: 403,
      body: denied('create'),
    });
    expect(await call('alice', 'PATCH', `/${id}`, { display_name: 'mine' })).toMatchObject({
      status: 403,
      body: denied('update'),
    });
    expect(await call('alice', 'DELETE', `/${id}`)).toMatchObject({ status: 403, body: denied('delete') });
    expect((await call('admin', 'GET', `/${id}`)).body.display_name).toBe('guarded');
  });

  it('bad bodies get every problem with its path; unknown ids are RESOURCE_DOES_NOT_EXIST', async () => {
    const bad = await call('admin', 'POST', '', { config: { slack: { url: 'not a url' }, email: { addresses: [] } } });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message:
        'display_name: required field missing: expected a string; config.email.addresses: expected at least 1 items, found 0; ' +
        'config.slack.url: expected an http or https URL, found "not a url"; ' +
        'config: expected exactly one of email, slack, microsoft_teams, pagerduty, generic_webhook, found email, slack',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          field_violations: [
            { field: 'display_name', description: 'required field missing: expected a string' },
            { field: 'config.email.addresses', description: 'expected at least 1 items, found 0' },
            { field: 'config.slack.url', description: 'expected an http or https URL, found "not a url"' },
            {
              field: 'config',
              description:
                'expected exactly one of email, slack, microsoft_teams, pagerduty, generic_webhook, found email, slack',
            },
          ],
        },
      ],
    });
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const [method, body] of [['GET'], ['PATCH', { display_name: 'x' }], ['DELETE']] as const)
      expect(await call('admin', method, `/${missing}`, body)).toMatchObject({
        status: 404,
        body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Notification destination ${missing} does not exist.` },
      });
    expect(await call('admin', 'GET', '/not-an-id')).toMatchObject({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST' },
    });
    expect(await call('admin', 'GET', '?page_token=garbage')).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid page_token "garbage".' },
    });
    expect(await call('admin', 'GET', '?page_size=101')).toMatchObject({
      status: 400,
      body: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'page_size must be an integer from 1 to 100, found 101.',
      },
    });
  });

  it('PATCH renames, replaces a secret, keeps the ones left out, and refuses a change of receiver', async () => {
    const created = await call('admin', 'POST', '', {
      display_name: 'patch me',
      config: { generic_webhook: { url: `${receiver.base}/old`, username: SECRETS[3], password: SECRETS[2] } },
    });
    const id = created.body.id as string;
    const renamed = await call('admin', 'PATCH', `/${id}`, { display_name: 'patched' });
    expect(renamed.body).toMatchObject({ id, display_name: 'patched', destination_type: 'WEBHOOK' });
    const moved = await call('admin', 'PATCH', `/${id}`, {
      id,
      config: { generic_webhook: { url: `${receiver.base}/new`, url_set: true } },
    });
    expect(moved.body).toEqual({
      id,
      display_name: 'patched',
      destination_type: 'WEBHOOK',
      config: { generic_webhook: { url_set: true, username_set: true, password_set: true } },
    });
    const m: NotificationMessage = {
      event: 'on_start',
      event_id: `patch-${id}`,
      job: { job_id: 1, name: 'j' },
      run: {
        run_id: 2,
        run_name: 'j',
        run_page_url: 'http://127.0.0.1/#/runs/2',
        life_cycle_state: 'RUNNING',
        start_time: 0,
        failed_tasks: [],
      },
    };
    const before = receiver.requests.length;
    await deliverToDestination(engine.temporal, id, m, { sendEmail: () => Promise.resolve() });
    const req = receiver.requests[before]!;
    expect(req.path).toBe('/new');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${SECRETS[3]}:${SECRETS[2]}`).toString('base64')}`);

    expect(
      await call('admin', 'PATCH', `/${id}`, { config: { slack: { url: 'https://hooks.slack.com/x' } } })
    ).toMatchObject({
      status: 400,
      body: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: `config.slack: the destination type cannot be changed: destination ${id} is WEBHOOK, found SLACK.`,
      },
    });
    expect(await call('admin', 'PATCH', `/${id}`, {})).toMatchObject({
      status: 400,
      body: { message: '(root): expected display_name or config (at least one field to update), found neither' },
    });
    expect(await call('admin', 'DELETE', `/${id}`)).toMatchObject({ status: 200, body: {} });
    expect((await call('admin', 'GET', `/${id}`)).status).toBe(404);
  });

  it('list pages by display name with page_token until the last page, which has no token', async () => {
    const names = ['page a', 'page b', 'page c'].map((n) => `${n} ${Date.now()}`);
    const ids: string[] = [];
    for (const display_name of names)
      ids.push(
        (await call('admin', 'POST', '', { display_name, config: { email: { addresses: ['ops@example.com'] } } })).body
          .id as string
      );
    type Listed = { id: string; display_name: string; destination_type: string }[];
    const listAll = async () => {
      const listed: Listed = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await call('alice', 'GET', `?page_size=2${token ? `&page_token=${token}` : ''}`);
        expect(page.status).toBe(200);
        const results = (page.body.results ?? []) as Listed;
        expect(results.length).toBeLessThanOrEqual(2);
        listed.push(...results);
        token = page.body.next_page_token as string | undefined;
        pages++;
      } while (token);
      return { listed, pages };
    };
    // Listing reads Temporal's visibility store, which sees a new schedule a moment after its creation.
    const { listed, pages } = await waitFor(async () => {
      const all = await listAll();
      return ids.every((id) => all.listed.some((d) => d.id === id)) && all;
    }, 'the new destinations to be listed');
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(new Set(listed.map((d) => d.id)).size).toBe(listed.length);
    const sorted = [...listed].sort((a, b) =>
      a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : 0
    );
    expect(listed.map((d) => d.display_name)).toEqual(sorted.map((d) => d.display_name));
    expect(listed.filter((d) => ids.includes(d.id))).toEqual(
      names.map((display_name, i) => ({ id: ids[i], display_name, destination_type: 'EMAIL' }))
    );
    for (const d of listed) expect(Object.keys(d).sort()).toEqual(['destination_type', 'display_name', 'id']);
  });

  it('the official Python SDK creates, lists over pages, gets, updates and deletes', async () => {
    ensurePythonSdk();
    const { code, output } = await runCompatScript('python3', 'notification_destinations_compat.py', {
      DJOBS_HOST: base,
      DJOBS_TOKEN: TOKENS.admin,
      PYTHONPATH: pythonSdkDir,
    });
    expect(output).toContain('OK');
    expect(code).toBe(0);
  }, 300_000);

  it('djobs notification-destinations: create from stdin, list, get, update, delete', async () => {
    const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
    const env = { ...process.env, TEMPORAL_ADDRESS: engine.address, DJOBS_HOME: engine.dataDir };
    const djobs = (...args: string[]) =>
      exec(process.execPath, [cli, 'notification-destinations', ...args], { env, timeout: 60_000 });
    const create = execFile(
      process.execPath,
      [cli, 'notification-destinations', 'create', '--display-name', 'cli pd', '--json', '-'],
      {
        env,
      }
    );
    let out = '';
    create.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    create.stdin!.end(JSON.stringify({ config: { pagerduty: { integration_key: SECRETS[1] } } }));
    await new Promise<void>((resolve, reject) =>
      create.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))))
    );
    const created = JSON.parse(out) as { id: string };
    expect(created).toEqual({
      id: created.id,
      display_name: 'cli pd',
      destination_type: 'PAGERDUTY',
      config: { pagerduty: { integration_key_set: true } },
    });
    const table = await waitFor(async () => {
      const listed = (await djobs('list')).stdout;
      return listed.includes(created.id) && listed;
    }, 'the new destination in djobs notification-destinations list');
    expect(table).toMatch(/^ID\s+DISPLAY_NAME\s+TYPE/);
    expect(table).toMatch(new RegExp(`${created.id}\\s+cli pd\\s+PAGERDUTY`));
    const updated = JSON.parse((await djobs('update', created.id, '--display-name', 'cli pd 2')).stdout) as {
      display_name: string;
    };
    expect(updated.display_name).toBe('cli pd 2');
    expect(JSON.parse((await djobs('get', created.id)).stdout)).toMatchObject({ display_name: 'cli pd 2' });
    const bad = await djobs('create', '--json', '{"config":{}}').then(
      () => '',
      (e: { stderr: string; code: number }) => `${e.code} ${e.stderr}`
    );
    expect(bad).toBe(
      '2 Error: invalid notification destination (2 problems):\n' +
        '  display_name: required field missing: expected a string\n' +
        '  config: expected exactly one of email, slack, microsoft_teams, pagerduty, generic_webhook, found none\n'
    );
    await djobs('delete', created.id);
    const gone = await djobs('get', created.id).then(
      () => '',
      (e: { stderr: string; code: number }) => `${e.code} ${e.stderr}`
    );
    expect(gone).toBe(`2 Error: Notification destination ${created.id} does not exist.\n`);
    for (const text of [out, table]) for (const s of SECRETS) expect(text).not.toContain(s);
  }, 120_000);

  it('no response carried a secret', () => {
    expect(seen.length).toBeGreaterThan(20);
    for (const text of seen) for (const s of SECRETS) expect(text).not.toContain(s);
  });
});
