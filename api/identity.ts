// Who the caller is and what this host is, as Databricks answers: `GET
// /api/2.0/preview/scim/v2/Me` (the token's principal and its groups; clients, the web UI among
// them, combine it with a job's permissions to know which actions the API will allow before
// offering them) and `/.well-known/databricks-config` (what SDKs read at start).
import type { FastifyInstance } from 'fastify';
import { ADMINS_GROUP, ALL_USERS_GROUP, type Principal } from '../core';
import { principalOf } from './auth';

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

/** Paths of the host's description, which needs no token. */
export const isWellKnownPath = (url: string): boolean => url.startsWith('/.well-known/');

export function registerIdentityApi(app: FastifyInstance): void {
  app.get('/api/2.0/preview/scim/v2/Me', async (req) => scimMe(principalOf(req)));
  // Databricks SDKs read this at start to learn the host's kind; an empty workspace answer keeps
  // them in workspace (not account) mode.
  app.get('/.well-known/databricks-config', async (req) => ({
    host: `${req.protocol}://${req.headers.host ?? 'localhost'}`,
    workspace_id: '0',
    cloud: 'durable-jobs',
  }));
}
