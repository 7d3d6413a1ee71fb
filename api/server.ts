// The Databricks REST API over durable-jobs: one module per resource (`register…Api(app, deps)`),
// the identity, codec server and web UI routes, composed here with what every request shares
// (JSON bodies whatever their Content-Type, Databricks error bodies, request logging, bearer-token
// authentication). Every route goes through the typed client; this layer never touches Temporal
// directly.
import Fastify, { type FastifyInstance } from 'fastify';
import type { DurableJobsClient } from '../client';
import { loadConfig } from '../config';
import { WorkspaceTree } from '../workspace/tree';
import { addAuthentication, type FailedAuthLimit, type TokenMap } from './auth';
import { registerAccessControlApi } from './access-control';
import { registerClustersApi } from './clusters';
import { registerDbfsApi } from './dbfs';
import { isCodecRequest, registerCodecServer, type CodecServerOptions } from './codec-server';
import { addErrorHandling, errorHandlingOptions } from './errors';
import { registerFilesApi } from './files';
import { isHealthPath, registerHealthApi } from './health';
import { AccessGuards } from './guards';
import { isWellKnownPath, registerIdentityApi } from './identity';
import { registerJobsApi } from './jobs';
import { addRequestLogging, loggingOptions, type ApiLogOptions } from './logging';
import { registerNotificationDestinationsApi } from './notification-destinations';
import { registerPermissionsApi } from './permissions';
import { acceptJsonBodies } from './request-params';
import type { ApiDeps } from './routes';
import { registerRunsApi } from './runs';
import { registerSecretsApi } from './secrets';
import type { SignInOptions } from './sign-in';
import { registerWarehousesApi } from './warehouses';
import { isWebUiPath, registerWebUi } from './web-ui';
import { registerWorkspaceApi } from './workspace';

export interface ApiServerOptions {
  client: DurableJobsClient;
  tokens: TokenMap;
  /** Relative notebook/file paths in API-submitted specs resolve against this directory. */
  workspaceDir: string;
  /**
   * The workspace root the Workspace, DBFS and Files APIs serve (the workers' too).
   * @default DJOBS_WORKSPACE_ROOT, else $DJOBS_HOME/workspace
   */
  workspaceRoot?: string;
  /** Local folders every principal's task paths may name. @default DJOBS_CODE_ROOTS */
  codeRoots?: string[];
  /** @default 10 MiB */
  bodyLimitBytes?: number;
  log?: ApiLogOptions;
  /** Codec server for the Temporal Web UI (api/codec-server.ts). */
  codec?: CodecServerOptions;
  /** Failed authentications per client address before 429. @default 30 a minute */
  failedAuthLimit?: FailedAuthLimit;
  /** Serve HTTPS with this PEM certificate chain and key. */
  https?: { cert: Buffer; key: Buffer };
  /** Sign-in links to the web UI (api/sign-in.ts): the dev admin token's file, the codes' lifetime. */
  signIn?: Omit<SignInOptions, 'tokens'>;
  /** Whether `GET /readyz` requires a loaded key ring (DJOBS_ENCRYPTION=on). @default true */
  encryption?: boolean;
}

const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

/** Requests without a token: the probes, the host's description, the web UI's files, the codec server (it checks its own). */
const isPublic = (url: string) => isHealthPath(url) || isWellKnownPath(url) || isWebUiPath(url) || isCodecRequest(url);

export async function createApiServer(opts: ApiServerOptions): Promise<FastifyInstance> {
  const bodyLimitBytes = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    bodyLimit: bodyLimitBytes,
    ...loggingOptions(opts.log),
    ...errorHandlingOptions(),
    ...(opts.https ? { https: opts.https } : {}),
  }) as unknown as FastifyInstance;
  const { client, tokens, workspaceDir } = opts;
  const config = opts.workspaceRoot === undefined || opts.codeRoots === undefined ? loadConfig() : undefined;
  const deps: ApiDeps = {
    client,
    tokens,
    workspaceDir,
    workspace: new WorkspaceTree(opts.workspaceRoot ?? config!.workspaceRoot),
    codeRoots: opts.codeRoots ?? config!.codeRoots,
    bodyLimitBytes,
    guards: new AccessGuards(client),
  };

  acceptJsonBodies(app);
  addErrorHandling(app);
  addRequestLogging(app);
  await addAuthentication(app, tokens, isPublic, opts.failedAuthLimit);

  registerHealthApi(app, () => client.readiness(opts.encryption ?? true));
  registerCodecServer(app, deps, opts.codec);
  registerSecretsApi(app, deps);
  registerNotificationDestinationsApi(app, deps);
  registerIdentityApi(app);
  registerAccessControlApi(app, deps);
  registerWebUi(app, {
    temporalUi: client.temporalNamespaceUrl(),
    signIn: { ...opts.signIn, tokens: opts.tokens },
  });
  registerJobsApi(app, deps);
  registerRunsApi(app, deps);
  registerPermissionsApi(app, deps);
  registerClustersApi(app, deps);
  registerWarehousesApi(app, deps);
  registerWorkspaceApi(app, deps);
  registerDbfsApi(app, deps);
  registerFilesApi(app, deps);
  return app;
}
