// Start the REST API the way `djobs api` and `djobs dev` do: the admin token from DJOBS_API_TOKEN
// (or a generated one, printed), principals from DJOBS_API_PRINCIPALS / --principals.
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { DurableJobsClient } from '../client';
import { TokenMap, adminPrincipal, loadPrincipals } from './auth';
import { createApiServer } from './server';
import { mintSignInCode, newToken, readAdminTokenFile, signInLinkPath, writeAdminTokenFile } from './sign-in';
import { invalidConfiguration } from '../config';
import type { CodecServerOptions } from './codec-server';

export interface ServeApiOptions {
  client: DurableJobsClient;
  port: number;
  host: string;
  /** A YAML/JSON file of users and service principals with their tokens and groups. */
  principalsFile?: string;
  workspaceDir: string;
  /** The workspace root (DJOBS_WORKSPACE_ROOT) and the code roots (DJOBS_CODE_ROOTS). */
  workspaceRoot?: string;
  codeRoots?: string[];
  /** Where to say what was started (and a generated token). */
  log: (line: string) => void;
  /** Codec server options (Web UI origins, the dev UI's endpoint key). */
  codec?: CodecServerOptions;
  /** DJOBS_CODEC_TOKEN_FILE: the codec token, a credential that only decodes (api/codec-server.ts). */
  codecTokenFile?: string;
  /** PEM files: serve HTTPS. */
  tls?: { cert: string; key: string };
  /**
   * Without DJOBS_API_TOKEN(_FILE): keep the admin token in this file (made on first start, owner
   * only) instead of generating and printing one per start; an admin may rotate it (`djobs dev`).
   */
  adminTokenFile?: string;
  /** DJOBS_ENCRYPTION=on: `GET /readyz` requires a loaded key ring. @default true */
  encryption?: boolean;
}

export interface ServedApi {
  app: FastifyInstance;
  address: string;
  /** A one-time sign-in link of the admin to the web UI at `base` (default: this server's address). */
  signInLink(base?: string): { url: string; expiresAt: number };
}

export async function serveApi(o: ServeApiOptions): Promise<ServedApi> {
  const tokens = new TokenMap();
  // A token file (a container secret) keeps the token out of the environment listing.
  const tokenFile = process.env.DJOBS_API_TOKEN_FILE;
  let token = process.env.DJOBS_API_TOKEN || (tokenFile ? fs.readFileSync(tokenFile, 'utf8').trim() : undefined);
  const managedTokenFile = token ? undefined : o.adminTokenFile;
  if (managedTokenFile) {
    token = readAdminTokenFile(managedTokenFile);
    if (!token) writeAdminTokenFile(managedTokenFile, (token = newToken()));
  } else if (!token) {
    token = newToken();
    o.log(`Generated an admin token (set DJOBS_API_TOKEN to choose one): ${token}`);
  }
  tokens.add({ plain: token }, adminPrincipal());
  const principalsFile = o.principalsFile ?? process.env.DJOBS_API_PRINCIPALS;
  if (principalsFile) loadPrincipals(principalsFile, tokens);
  const app = await createApiServer({
    client: o.client,
    tokens,
    workspaceDir: o.workspaceDir,
    ...(o.workspaceRoot ? { workspaceRoot: o.workspaceRoot } : {}),
    ...(o.codeRoots ? { codeRoots: o.codeRoots } : {}),
    ...(o.codec || o.codecTokenFile
      ? { codec: { ...o.codec, ...(o.codecTokenFile ? { decodeToken: readCodecToken(o.codecTokenFile) } : {}) } }
      : {}),
    ...(managedTokenFile ? { signIn: { adminTokenFile: managedTokenFile } } : {}),
    ...(o.encryption !== undefined ? { encryption: o.encryption } : {}),
    ...(o.tls
      ? { https: { cert: readPem(o.tls.cert, 'DJOBS_API_TLS_CERT'), key: readPem(o.tls.key, 'DJOBS_API_TLS_KEY') } }
      : {}),
  });
  const address = await app.listen({ port: o.port, host: o.host });
  o.log(
    `durable-jobs API at ${address}/api/2.1/jobs (Databricks Jobs API), ${tokens.size} token${tokens.size > 1 ? 's' : ''}`
  );
  o.log(`durable-jobs web UI at ${address}/ (sign in with a token or a sign-in link)`);
  return {
    app,
    address,
    signInLink: (base = address) => {
      const { code, expiresAt } = mintSignInCode(app, adminPrincipal());
      return { url: `${base.replace(/\/$/, '')}${signInLinkPath(code)}`, expiresAt };
    },
  };
}

function readCodecToken(file: string): string {
  const token = readPem(file, 'DJOBS_CODEC_TOKEN_FILE').toString('utf8').trim();
  if (token.length < 16)
    throw invalidConfiguration(`DJOBS_CODEC_TOKEN_FILE ${file}: the codec token must be at least 16 characters`);
  return token;
}

function readPem(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw invalidConfiguration(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}
