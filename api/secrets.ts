// The Databricks Secrets API 2.0 (/api/2.0/secrets/...): scopes, secrets and scope ACLs, checked
// against the caller's permission on the scope. There is no endpoint that returns a value: tasks
// read secrets at run time (`{{secrets/scope/key}}`, dbutils.secrets.get).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DjobsError, ErrorCode, type SecretScopes } from '../client';
import { isSecretPermission, secretAllows, type SecretPermission } from '../core';
import { principalOf } from './auth';
import { badRequest } from './errors';
import type { ApiDeps } from './routes';

type Params = Record<string, unknown>;

const who = principalOf;
/** Query string and body merged (these routes' clients send GET parameters in the query string). */
const params = (req: FastifyRequest): Params => ({ ...(req.query as Params), ...((req.body as Params) ?? {}) });
const str = (p: Params, name: string): string => {
  const v = p[name];
  if (typeof v !== 'string' || v === '') throw badRequest(`Missing required field: ${name}`);
  return v;
};

/** The caller must hold `needed` on the scope. */
async function checkScopePermission(
  secrets: SecretScopes,
  req: FastifyRequest,
  scope: string,
  needed: SecretPermission
) {
  const p = who(req);
  if (!secretAllows(await secrets.permissionOf(scope, p), needed))
    throw new DjobsError(
      ErrorCode.PERMISSION_DENIED,
      `User ${p.name} does not have ${needed} permission on scope ${scope}`
    );
}

export function registerSecretsApi(app: FastifyInstance, { client }: ApiDeps): void {
  const secrets = client.secretScopes;
  const requireOnScope = (req: FastifyRequest, scope: string, needed: SecretPermission) =>
    checkScopePermission(secrets, req, scope, needed);
  const base = '/api/2.0/secrets';

  app.post(`${base}/scopes/create`, async (req) => {
    const p = params(req);
    const initial = p.initial_manage_principal;
    await secrets.createScope(str(p, 'scope'), who(req).name, typeof initial === 'string' ? initial : undefined);
    return {};
  });
  app.post(`${base}/scopes/delete`, async (req) => {
    const scope = str(params(req), 'scope');
    await requireOnScope(req, scope, 'MANAGE');
    await secrets.deleteScope(scope);
    return {};
  });
  app.get(`${base}/scopes/list`, async () => ({ scopes: await secrets.listScopes() }));

  app.post(`${base}/put`, async (req) => {
    const p = params(req);
    const scope = str(p, 'scope');
    await requireOnScope(req, scope, 'WRITE');
    const value =
      typeof p.string_value === 'string'
        ? Buffer.from(p.string_value, 'utf8')
        : typeof p.bytes_value === 'string'
          ? Buffer.from(p.bytes_value, 'base64')
          : undefined;
    if (!value) throw badRequest('Exactly one of string_value or bytes_value must be given.');
    await secrets.putSecret(scope, str(p, 'key'), value);
    return {};
  });
  app.post(`${base}/delete`, async (req) => {
    const p = params(req);
    const scope = str(p, 'scope');
    await requireOnScope(req, scope, 'WRITE');
    await secrets.deleteSecret(scope, str(p, 'key'));
    return {};
  });
  app.get(`${base}/list`, async (req) => {
    const scope = str(params(req), 'scope');
    await requireOnScope(req, scope, 'READ');
    return { secrets: await secrets.listSecrets(scope) };
  });

  app.post(`${base}/acls/put`, async (req) => {
    const p = params(req);
    const scope = str(p, 'scope');
    await requireOnScope(req, scope, 'MANAGE');
    const permission = p.permission;
    if (!isSecretPermission(permission))
      throw badRequest(`Invalid permission ${JSON.stringify(permission)}: expected READ, WRITE or MANAGE.`);
    await secrets.putAcl(scope, str(p, 'principal'), permission);
    return {};
  });
  app.post(`${base}/acls/delete`, async (req) => {
    const p = params(req);
    const scope = str(p, 'scope');
    await requireOnScope(req, scope, 'MANAGE');
    await secrets.deleteAcl(scope, str(p, 'principal'));
    return {};
  });
  app.get(`${base}/acls/list`, async (req) => {
    const scope = str(params(req), 'scope');
    await requireOnScope(req, scope, 'MANAGE');
    return { items: await secrets.listAcls(scope) };
  });
  app.get(`${base}/acls/get`, async (req) => {
    const p = params(req);
    const scope = str(p, 'scope');
    await requireOnScope(req, scope, 'MANAGE');
    return secrets.getAcl(scope, str(p, 'principal'));
  });
}
