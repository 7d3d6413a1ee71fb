// The API's logger: structured (pino through Fastify), with levels, and a request id on every
// line. Every request is logged at debug level when it ends; every server error at error level
// with its stack. The request id comes back in the `x-request-id` header and, on a 5xx, in the
// Databricks error body (a google.rpc.RequestInfo detail), so a user's report finds the log line.
import { randomUUID } from 'node:crypto';
import { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions, FastifyChildLoggerFactory } from 'fastify/types/logger';

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
    childLoggerFactory: requestLogger,
  };
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Parent = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

/**
 * A request's logger (`req.log`): pino's child with the request id bound, made when the request
 * first writes a line at an enabled level. Fastify would make it on every request, and most write
 * none (the request line is at debug level): under runs/get load the child's bindings were
 * serialised per request for nothing.
 */
class RequestLogger {
  private made?: FastifyBaseLogger;
  constructor(
    private readonly parent: Parent,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions
  ) {}

  private logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  /** A line at a level the parent writes (or any line once a child exists, or with a level of its own). */
  private write(level: Level, args: unknown[]): void {
    if (this.made === undefined && this.options.level === undefined && !this.parent.isLevelEnabled(level)) return;
    const line: (...line: unknown[]) => void = this.logger()[level];
    line.apply(this.made, args);
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }
  set level(level: string) {
    this.logger().level = level;
  }
  fatal(...args: unknown[]) {
    this.write('fatal', args);
  }
  error(...args: unknown[]) {
    this.write('error', args);
  }
  warn(...args: unknown[]) {
    this.write('warn', args);
  }
  info(...args: unknown[]) {
    this.write('info', args);
  }
  debug(...args: unknown[]) {
    this.write('debug', args);
  }
  trace(...args: unknown[]) {
    this.write('trace', args);
  }
  silent() {}
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }
}

const requestLogger: FastifyChildLoggerFactory = (logger, bindings, options) =>
  new RequestLogger(logger as Parent, bindings, options);

export function addRequestLogging(app: FastifyInstance): void {
  // Callback hooks rather than async ones: they run on every request, and a promise per hook and
  // request is what an async hook costs for nothing here.
  app.addHook('onSend', (req, reply, payload, done) => {
    void reply.header('x-request-id', req.id);
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
