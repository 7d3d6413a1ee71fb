// Roles on a service principal, as Databricks keeps them in its account access-control rule sets
// (https://docs.databricks.com/security/auth/access-control/service-principal-acl.html): a rule
// set `accounts/<account>/servicePrincipals/<application id>/ruleSets/default` holds grant rules,
// each a role given to principals named `users/<name>`, `groups/<name>` or
// `servicePrincipals/<application id>`. `roles/servicePrincipal.user` lets its holders run jobs as
// the service principal; `roles/servicePrincipal.manager` lets them change its rule set (it does
// not include the user role, as in Databricks). A service principal's application id is its name
// here. Pure.
import { ALL_USERS_GROUP, type Principal } from './permissions';

export const SERVICE_PRINCIPAL_ROLES = {
  USER: 'roles/servicePrincipal.user',
  MANAGER: 'roles/servicePrincipal.manager',
} as const;
export type ServicePrincipalRole = (typeof SERVICE_PRINCIPAL_ROLES)[keyof typeof SERVICE_PRINCIPAL_ROLES];

/** Databricks `GrantRule`. */
export interface GrantRule {
  role: string;
  principals?: string[] | undefined;
}

const RULE_SET_NAME = /^accounts\/([^/]+)\/servicePrincipals\/([^/]+)\/ruleSets\/default$/;

/** The service principal a rule set name is of, or why the name names none. */
export function servicePrincipalOfRuleSet(name: string): { servicePrincipal: string } | { problem: string } {
  const m = RULE_SET_NAME.exec(name);
  if (m) return { servicePrincipal: m[2]! };
  return {
    problem: `name: expected accounts/<account id>/servicePrincipals/<application id>/ruleSets/default (durable-jobs keeps the rule sets of service principals only), found ${JSON.stringify(name)}`,
  };
}

/** How a grant rule names a principal: `users/<name>` or `servicePrincipals/<application id>`. */
export const grantPrincipalOf = (who: Pick<Principal, 'kind' | 'name'>): string =>
  who.kind === 'user' ? `users/${who.name}` : `servicePrincipals/${who.name}`;

/** Whether `who` holds `role` under `rules`: named itself, or through one of its groups (`users`: everyone). */
export function holdsRole(rules: readonly GrantRule[], who: Principal, role: ServicePrincipalRole): boolean {
  const names = new Set([grantPrincipalOf(who), `groups/${ALL_USERS_GROUP}`, ...who.groups.map((g) => `groups/${g}`)]);
  return rules.some((r) => r.role === role && (r.principals ?? []).some((p) => names.has(p)));
}

/** A rule set's etag: its version, opaque to clients (read-modify-write checks it). */
export const ruleSetEtag = (version: number): string => btoa(`djobs-rule-set-v${version}`);

/** The version an etag names, or undefined when it is no etag of a rule set. */
export function versionOfEtag(etag: string): number | undefined {
  let text: string;
  try {
    text = atob(etag);
  } catch {
    return undefined;
  }
  const m = /^djobs-rule-set-v(\d+)$/.exec(text);
  return m ? Number(m[1]) : undefined;
}
