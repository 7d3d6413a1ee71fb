// `GET /api/2.0/preview/scim/v2/Me`, as Databricks answers it: who the token belongs to and its
// groups. Clients (the web UI among them) combine it with a job's permissions to know which
// actions the API will allow before offering them.
import type { FastifyInstance } from 'fastify';
import { ADMINS_GROUP, ALL_USERS_GROUP, type Principal } from '../core';

const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCIM_SERVICE_PRINCIPAL = 'urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal';

/** The SCIM body of a principal; `groups` lists every group, including `users` and, for admins, `admins`. */
export function scimMe(who: Principal) {
  const groups = [...new Set([ALL_USERS_GROUP, ...who.groups, ...(who.admin ? [ADMINS_GROUP] : [])])];
  return {
    schemas: [who.kind === 'user' ? SCIM_USER : SCIM_SERVICE_PRINCIPAL],
    id: who.name,
    userName: who.name,
    displayName: who.name,
    active: true,
    ...(who.kind === 'service_principal' ? { applicationId: who.name } : {}),
    groups: groups.map((g) => ({ display: g, value: g, type: 'direct' })),
  };
}

export function registerIdentityRoutes(app: FastifyInstance, principalOf: (req: unknown) => Principal): void {
  app.get('/api/2.0/preview/scim/v2/Me', async (req) => scimMe(principalOf(req)));
}
