// The update of a service principal's rule set as the Databricks API defines it
// (https://docs.databricks.com/api/workspace/accountaccesscontrolproxy/updateruleset; the Python
// SDK's `databricks.sdk.service.iam`: `RuleSetUpdateRequest`, `GrantRule`). durable-jobs keeps the
// two roles a service principal has (core/access/service-principal-roles.ts); any other role is
// refused rather than stored and ignored.
import { z } from 'zod';
import { SERVICE_PRINCIPAL_ROLES } from '../access/service-principal-roles';
import { parseRequest } from './validate';

const grantPrincipal = z.string().regex(/^(users|groups|servicePrincipals)\/[^/]+$/, {
  message: 'expected users/<user name>, groups/<group name> or servicePrincipals/<application id>',
});

const GrantRule = z.strictObject({
  role: z.enum(Object.values(SERVICE_PRINCIPAL_ROLES)),
  principals: z.array(grantPrincipal).optional(),
});

/** PUT /api/2.0/preview/accounts/access-control/rule-sets */
export const UpdateRuleSetRequest = z.strictObject({
  name: z.string().min(1),
  rule_set: z.strictObject({
    name: z.string().min(1),
    etag: z.string(),
    grant_rules: z.array(GrantRule).optional(),
  }),
});
export type UpdateRuleSetRequest = z.infer<typeof UpdateRuleSetRequest>;

/** An update body, every problem at once with its JSON path. */
export const parseUpdateRuleSet = (input: unknown) => parseRequest(UpdateRuleSetRequest, input);
