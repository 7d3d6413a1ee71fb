// The API's logger: structured (pino through Fastify), with levels, and a request id on every
// line. Every request is logged at debug level when it ends; every server error at error level
// with its stack. Every answer says X-Content-Type-Options: nosniff. The request id comes back in the `x-request-id` header and, on a 5xx, in the
// Databricks error body (a google.rpc.RequestInfo detail), so a user's report finds the log line.
import { randomUUID } from 'node:crypto';
import { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type ApiLogLevel = (typeof LOG_LEVELS)[number];

export interface ApiLogOptions {
  /** @default DJOBS_API_LOG_LEVEL, else info */
  level?: ApiLogLevel;
  /** Where log lines (JSON) go. @default stderr */
  stream?: NodeJS.WritableStream;
}

export function apiLogLevel(value = process.env.DJOBS_API_LOG_LEVEL): ApiLogLevel {
  if (value === undefined || value === '') return 'info';
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as ApiLogLevel;
  throw new Error(`DJOBS_API_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${value}".`);
}

/** Fastify options: the logger, and a fresh id per request (a client's own id is not trusted). */
export function loggingOptions(o: ApiLogOptions = {}): FastifyServerOptions {
  return {
    logger: { level: o.level ?? apiLogLevel(), stream: o.stream ?? process.stderr },
    genReqId: () => randomUUID(),
    // One line per request at debug level (below), rather than Fastify's two at info.
    logController: new LogController({ disableRequestLogging: true }),
  };
}

export function addRequestLogging(app: FastifyInstance): void {
  // Callback hooks rather than async ones: they run on every request, and a promise per hook and
  // request is what an async hook costs for nothing here.
  app.addHook('onSend', (req, reply, payload, done) => {
    void reply.header('x-request-id', req.id);
    // No answer is to be sniffed into another type (a JSON body shown as HTML).
    void reply.header('x-content-type-options', 'nosniff');
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    req.log.debug(
      { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request'
    );
    done();
  });
}
