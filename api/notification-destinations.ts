// The Databricks notification destinations API (/api/2.0/notification-destinations): every user
// may list and get destinations (the config only for workspace admins, as in Databricks), only
// workspace admins create, update and delete them. Secrets are write-only: no response carries
// one (stores/notification-destinations.ts returns `*_set` flags instead).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode, SpecValidationError } from '../client';
import {
  parseCreateNotificationDestination,
  parseUpdateNotificationDestination,
  type DestinationParse,
  type Principal,
} from '../core';
import { ApiError, badRequest } from './errors';
import type { ApiDeps } from './routes';

const BASE = '/api/2.0/notification-destinations';

export function registerNotificationDestinationsApi(app: FastifyInstance, { client }: ApiDeps): void {
  const store = client.notificationDestinations;
  const who = (req: FastifyRequest) => (req as unknown as { principal: Principal }).principal;
  const requireAdmin = (req: FastifyRequest, verb: string) => {
    const p = who(req);
    if (!p.admin)
      throw new ApiError(
        ErrorCode.PERMISSION_DENIED,
        `${p.name} is not a workspace admin: only workspace admins can ${verb} notification destinations.`
      );
  };
  const valid = <T>(parsed: DestinationParse<T>): T => {
    if (!parsed.ok) throw new SpecValidationError(parsed.errors);
    return parsed.value;
  };
  const idOf = (req: FastifyRequest) => (req.params as { id: string }).id;

  app.get(BASE, async (req) => {
    const q = req.query as Record<string, unknown>;
    const size = q.page_size === undefined || q.page_size === '' ? 0 : Number(q.page_size);
    if (!Number.isInteger(size) || size < 0)
      throw badRequest(`page_size must be a non-negative integer, found ${JSON.stringify(q.page_size)}.`);
    const token = typeof q.page_token === 'string' && q.page_token !== '' ? q.page_token : undefined;
    const { results, next_page_token } = await store.list(size === 0 ? undefined : size, token);
    // Databricks omits empty fields: no `results` on an empty page, no token on the last one.
    return { ...(results.length > 0 ? { results } : {}), ...(next_page_token ? { next_page_token } : {}) };
  });
  app.post(BASE, async (req) => {
    requireAdmin(req, 'create');
    return store.create(valid(parseCreateNotificationDestination(req.body ?? {})));
  });
  app.get(`${BASE}/:id`, async (req) => store.get(idOf(req), who(req).admin));
  app.patch(`${BASE}/:id`, async (req) => {
    requireAdmin(req, 'update');
    const body = valid(parseUpdateNotificationDestination(req.body ?? {}));
    if (body.id !== undefined && body.id !== idOf(req))
      throw badRequest(`id: the body's id ${JSON.stringify(body.id)} differs from the path's ${idOf(req)}.`);
    return store.update(idOf(req), body);
  });
  app.delete(`${BASE}/:id`, async (req) => {
    requireAdmin(req, 'delete');
    await store.delete(idOf(req));
    return {};
  });
}
