// The rule sets of service principals, as Databricks' account access-control proxy serves them to
// a workspace (`GET`/`PUT /api/2.0/preview/accounts/access-control/rule-sets`; the Python SDK's
// `w.account_access_control_proxy.get_rule_set` / `update_rule_set`): who holds
// roles/servicePrincipal.user (may run jobs as it) and roles/servicePrincipal.manager (may change
// its rule set) on each service principal (core/access/service-principal-roles.ts). Workspace
// admins manage every rule set, as account admins do in Databricks. Kept in Temporal
// (stores/service-principal-rule-sets.ts); the principals file's `service_principal_users` are
// granted besides, by the operator.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode, type RuleSetRecord } from '../client';
import {
  SERVICE_PRINCIPAL_ROLES,
  holdsRole,
  parseUpdateRuleSet,
  ruleSetEtag,
  servicePrincipalOfRuleSet,
  versionOfEtag,
  type Principal,
  type SpecProblem,
} from '../core';
import { principalOf } from './auth';
import { ApiError, badRequest } from './errors';
import type { ApiDeps } from './routes';

const PATH = '/api/2.0/preview/accounts/access-control/rule-sets';

/** Every problem of a request at once, each with its JSON path. */
const problems = (list: readonly SpecProblem[]) =>
  badRequest(list.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; '));

export function registerAccessControlApi(app: FastifyInstance, { client, tokens }: ApiDeps): void {
  const ruleSets = client.servicePrincipalRuleSets;
  /** The service principal a rule set name is of; it must exist. */
  const servicePrincipalOf = (name: unknown): string => {
    if (typeof name !== 'string' || name === '') throw badRequest('name: expected the rule set name, found nothing');
    const parsed = servicePrincipalOfRuleSet(name);
    if ('problem' in parsed) throw badRequest(parsed.problem);
    if (!tokens.find('service_principal', parsed.servicePrincipal))
      throw new ApiError(
        ErrorCode.RESOURCE_DOES_NOT_EXIST,
        `Service principal ${parsed.servicePrincipal} does not exist (rule set ${name}).`
      );
    return parsed.servicePrincipal;
  };
  /** Databricks `RuleSetResponse`: the name asked for, the version's etag, the grant rules (omitted when none). */
  const response = (name: string, r: RuleSetRecord) => ({
    name,
    etag: ruleSetEtag(r.version),
    ...(r.grant_rules.length > 0 ? { grant_rules: r.grant_rules } : {}),
  });
  /** Grant rules name principals the workspace knows: every unknown one, with its path. */
  const unknownPrincipals = (rules: readonly { principals?: string[] | undefined }[]): SpecProblem[] =>
    rules.flatMap((r, i) =>
      (r.principals ?? []).flatMap((p, j) => {
        const [kind, ...rest] = p.split('/');
        const name = rest.join('/');
        const known =
          kind === 'groups'
            ? tokens.groupExists(name)
            : tokens.find(kind === 'users' ? 'user' : 'service_principal', name) !== undefined;
        return known
          ? []
          : [
              {
                path: `rule_set.grant_rules[${i}].principals[${j}]`,
                message: `no principal ${JSON.stringify(p)} exists`,
              },
            ];
      })
    );
  const mayManage = (who: Principal, rules: RuleSetRecord['grant_rules']) =>
    who.admin || holdsRole(rules, who, SERVICE_PRINCIPAL_ROLES.MANAGER);

  app.get(PATH, async (req: FastifyRequest) => {
    const q = req.query as Record<string, unknown>;
    const name = q.name;
    // The etag asks for a version at least as fresh: the stored one always is.
    if (q.etag !== undefined && typeof q.etag !== 'string') throw badRequest('etag: expected a string');
    const servicePrincipal = servicePrincipalOf(name);
    return response(name as string, await ruleSets.read(servicePrincipal));
  });

  app.put(PATH, async (req: FastifyRequest) => {
    const who = principalOf(req);
    const parsed = parseUpdateRuleSet(req.body ?? {});
    if (!parsed.ok) throw problems(parsed.errors);
    const { name, rule_set } = parsed.value;
    if (rule_set.name !== name)
      throw badRequest(
        `rule_set.name: expected the request's name ${JSON.stringify(name)}, found ${JSON.stringify(rule_set.name)}`
      );
    const servicePrincipal = servicePrincipalOf(name);
    const current = await ruleSets.read(servicePrincipal);
    if (!mayManage(who, current.grant_rules))
      throw new ApiError(
        ErrorCode.PERMISSION_DENIED,
        `${who.name} cannot change the rule set of service principal ${servicePrincipal}: that needs ${SERVICE_PRINCIPAL_ROLES.MANAGER} on it, or a workspace admin.`
      );
    const rules = rule_set.grant_rules ?? [];
    const unknown = unknownPrincipals(rules);
    if (unknown.length > 0) throw problems(unknown);
    const version = versionOfEtag(rule_set.etag);
    if (version === undefined)
      throw new ApiError(
        ErrorCode.RESOURCE_CONFLICT,
        `rule_set.etag: ${JSON.stringify(rule_set.etag)} is not an etag of the rule set of service principal ${servicePrincipal}: read it again (GET) and send the etag it answers.`
      );
    const stored = await ruleSets.replace(
      servicePrincipal,
      version,
      rules.map((r) => ({ role: r.role, principals: r.principals ?? [] }))
    );
    return response(name, stored);
  });
}
