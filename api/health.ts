// Probes for load balancers and supervisors, without a token: `GET /healthz` (the process answers)
// and `GET /readyz` (it can serve: 200, or 503 with the reason). The API serves them beside its
// routes; a worker serves them alone on its `--health-port` (`serveHealth`).
import Fastify, { type FastifyInstance } from 'fastify';
import type { Readiness } from '../client';

export const HEALTH_PATHS = ['/healthz', '/readyz'] as const;

/** Whether a request is a probe (they need no token). */
export const isHealthPath = (url: string): boolean => (HEALTH_PATHS as readonly string[]).includes(url.split('?')[0]!);

export function registerHealthApi(app: FastifyInstance, readiness: () => Promise<Readiness>): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = await readiness();
    return reply
      .code(r.ready ? 200 : 503)
      .send({ status: r.ready ? 'ready' : 'not ready', ...(r.reason ? { reason: r.reason } : {}), checks: r.checks });
  });
}

/** The probes alone on their own port (a worker's `--health-port`); `close()` stops them. */
export async function serveHealth(o: {
  port: number;
  host: string;
  readiness: () => Promise<Readiness>;
}): Promise<{ app: FastifyInstance; address: string }> {
  const app = Fastify({ logger: false }) as unknown as FastifyInstance;
  registerHealthApi(app, o.readiness);
  const address = await app.listen({ port: o.port, host: o.host });
  return { app, address };
}
