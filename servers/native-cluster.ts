// docker-compose.yml's Temporal services run natively, without a Docker engine: PostgreSQL (as
// the `postgres` system user, in a temp dir, on a free loopback port), the compose's
// `temporal-schema` command run with temporal-sql-tool, the Temporal server (the binary the
// temporalio/server image runs, configured as the image configures it: from the compose's
// environment rendered into its embedded config template), and the compose's `temporal-setup`
// command (namespace and search attributes) run with the temporal CLI. The compose file's own
// commands and environment are used, with only host names, ports and paths replaced, so the
// native run proves the file. The binaries come from scripts/ensure-temporal-server.cjs.
// Used by the native compose test (test/cluster/) and `npm run bench -- --server postgres`.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freePort, isPortFree } from './dev-server';
import { projectRoot } from '../config/project-root';

interface ComposeService {
  environment?: Record<string, string>;
  command?: string[] | string;
  entrypoint?: string[] | string;
  secrets?: string[];
}

/** docker-compose.yml's services, `<<` merges resolved. */
export function composeServices(): Record<string, ComposeService> {
  const file = path.join(projectRoot(), 'docker-compose.yml');
  return (YAML.parse(fs.readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> })
    .services;
}

const commandOf = (svc: ComposeService | undefined) => ([] as string[]).concat(svc?.command ?? []).join(' ');

/**
 * The compose's temporal-schema command, run here: temporal-sql-tool from `tools`, and the schema
 * the admin-tools image keeps in /etc/temporal/schema from `tools`/schema (the module's own).
 */
export function nativeSchemaCommand(services: Record<string, ComposeService>, tools: string): string {
  return commandOf(services['temporal-schema'])
    .replace(/\btemporal-sql-tool\b/g, JSON.stringify(path.join(tools, 'temporal-sql-tool')))
    .replace(/\/etc\/temporal\/schema/g, path.join(tools, 'schema'));
}

/** The compose's temporal-setup command, run here: the temporal CLI `cli`, the server at `address`. */
export function nativeSetupCommand(services: Record<string, ComposeService>, cli: string, address: string): string {
  return commandOf(services['temporal-setup'])
    .replace(/\btemporal operator\b/g, `${JSON.stringify(cli)} operator`)
    .replace(/temporal:7233/g, address);
}

export interface NativeClusterOptions {
  /** The temporal CLI (the compose's admin-tools `temporal`): for the health check and the setup. */
  temporalCli: string;
  /** Where the logs go (postgres.log, temporal-server.log, setup.log); a temp dir by default. */
  logDir?: string;
  /** More server environment, e.g. NUM_HISTORY_SHARDS (the image defaults to 4). */
  serverEnv?: Record<string, string>;
  /** The server's dynamic config file's content (YAML); empty as the image's by default. */
  dynamicConfig?: string;
  /** PostgreSQL settings (`-c name=value`), e.g. for experiments; none by default. */
  postgresSettings?: string[];
}

export interface NativeCluster {
  /** The Temporal frontend, host:port (what the compose calls temporal:7233). */
  address: string;
  serverPid(): number;
  postgresPid: number;
  /** The compose's POSTGRES_USER/POSTGRES_PASSWORD. */
  postgres: { host: string; port: number; user: string; password: string };
  logDir: string;
  /** kill -9 of the Temporal server (PostgreSQL keeps running). */
  killServer(): Promise<void>;
  /** Start the Temporal server again on the same PostgreSQL and ports; resolves once it serves. */
  restartServer(): Promise<void>;
  /** Kill everything this started and remove its data. */
  stop(): Promise<void>;
}

/** The directory of temporal-server, temporal-sql-tool and schema/ (built when missing). */
export function temporalServerDir(): string {
  const script = path.join(projectRoot(), 'scripts', 'ensure-temporal-server.cjs');
  return execFileSync(process.execPath, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** PostgreSQL's programs: the directory of `initdb` on PATH, else the newest /usr/lib/postgresql/<v>/bin. */
function postgresBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter))
    if (dir && fs.existsSync(path.join(dir, 'initdb'))) return path.dirname(fs.realpathSync(path.join(dir, 'initdb')));
  const versions = fs.existsSync('/usr/lib/postgresql')
    ? fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions)
    if (fs.existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)) return `/usr/lib/postgresql/${v}/bin`;
  throw new Error('PostgreSQL not found: run `node scripts/ensure-temporal-server.cjs` (it installs it)');
}

/**
 * A free port below 32768: Temporal stores membership ports in a PostgreSQL smallint
 * (cluster_membership.rpc_port), and the ports the OS hands out for port 0 are above it.
 */
const membershipPortsTaken = new Set<number>();
async function freeMembershipPort(): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (!membershipPortsTaken.has(port) && (await isPortFree(port))) {
      membershipPortsTaken.add(port);
      return port;
    }
  }
  throw new Error('no free port below 32768');
}

const idOf = (flag: '-u' | '-g') => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());

/**
 * Resolves when `ready()` holds, polling; rejects after `ms`, or when `child` exits first, with
 * what was awaited and the log's tail.
 */
async function until(
  ready: () => boolean | Promise<boolean>,
  what: string,
  ms: number,
  log: string,
  child: ChildProcess
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) {
      const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-3000) : '';
      const why = child.exitCode !== null || child.signalCode !== null ? 'exited' : `not ready after ${ms / 1000} s`;
      throw new Error(`${what} ${why}; ${log} ends with:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Run a compose `sh -c` command with `env`; its output appended to `log`; throws with the log's tail when it fails. */
function sh(command: string, env: Record<string, string>, log: string): void {
  const fd = fs.openSync(log, 'a');
  try {
    const res = spawnSync('/bin/sh', ['-c', command], { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
    if (res.status !== 0)
      throw new Error(
        `${command.slice(0, 120)}… exited ${res.status}; ${log}:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`
      );
  } finally {
    fs.closeSync(fd);
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('exit', () => r()));

export async function startNativeCluster(opts: NativeClusterOptions): Promise<NativeCluster> {
  const services = composeServices();
  const tools = temporalServerDir();
  const pgBin = postgresBinDir();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-cluster-'));
  fs.chmodSync(root, 0o755); // the postgres user enters it
  const logDir = opts.logDir ?? root;
  fs.mkdirSync(logDir, { recursive: true });
  const children: ChildProcess[] = [];
  // A test that fails or a bench that throws must not leave the server or PostgreSQL behind.
  const killAll = () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  process.once('exit', killAll);
  const pgLog = path.join(logDir, 'postgres.log');
  const serverLog = path.join(logDir, 'temporal-server.log');
  const setupLog = path.join(logDir, 'setup.log');
  let server: ChildProcess | undefined;
  let postgres: ChildProcess | undefined;
  const stop = async () => {
    server?.kill('SIGKILL');
    if (server) await exited(server);
    // SIGINT: PostgreSQL's fast shutdown; SIGKILL if it takes too long.
    if (postgres && postgres.exitCode === null && postgres.signalCode === null) {
      postgres.kill('SIGINT');
      const timer = setTimeout(() => postgres?.kill('SIGKILL'), 10_000);
      await exited(postgres);
      clearTimeout(timer);
    }
    process.removeListener('exit', killAll);
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    // 1. The compose's postgresql service: the postgres image's initdb (superuser POSTGRES_USER
    //    with POSTGRES_PASSWORD, password auth over TCP, a database named after the user).
    const pgEnv = services.postgresql!.environment!;
    const user = pgEnv.POSTGRES_USER!;
    const password = pgEnv.POSTGRES_PASSWORD!;
    const uid = idOf('-u');
    const gid = idOf('-g');
    const data = path.join(root, 'pgdata');
    const sockets = path.join(root, 'pgsock');
    for (const dir of [data, sockets]) {
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.chownSync(dir, uid, gid);
    }
    const pwfile = path.join(root, 'pwfile');
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    fs.chownSync(pwfile, uid, gid);
    const asPostgres = { uid, gid, env: { ...process.env, HOME: root } };
    const pgFd = fs.openSync(pgLog, 'a');
    execFileSync(
      path.join(pgBin, 'initdb'),
      ['-D', data, '-U', user, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8'],
      { ...asPostgres, stdio: ['ignore', pgFd, pgFd] }
    );
    const pgPort = await freePort();
    postgres = spawn(
      path.join(pgBin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(pgPort),
        '-k',
        sockets,
        '-c',
        'listen_addresses=127.0.0.1',
        ...(opts.postgresSettings ?? []).flatMap((s) => ['-c', s]),
      ],
      { ...asPostgres, stdio: ['ignore', pgFd, pgFd] }
    );
    fs.closeSync(pgFd);
    children.push(postgres);
    const pgAuth = { PGPASSWORD: password };
    const isReady = path.join(pgBin, 'pg_isready');
    await until(
      () => spawnSync(isReady, ['-h', '127.0.0.1', '-p', String(pgPort), '-U', user]).status === 0,
      'PostgreSQL',
      60_000,
      pgLog,
      postgres
    );
    execFileSync(path.join(pgBin, 'createdb'), ['-h', '127.0.0.1', '-p', String(pgPort), '-U', user, user], {
      env: { ...process.env, ...pgAuth },
    });

    // 2. The compose's temporal-schema command, with its environment; the schema where the
    //    admin-tools image keeps it (/etc/temporal/schema) is the one the module ships.
    sh(
      nativeSchemaCommand(services, tools),
      { ...services['temporal-schema']!.environment, SQL_HOST: '127.0.0.1', SQL_PORT: String(pgPort) },
      setupLog
    );

    // 3. The compose's temporal service: the image's `temporal-server start` renders its embedded
    //    config template from this environment. Host names become loopback, ports free ones.
    const ports = {
      FRONTEND_GRPC_PORT: await freePort(),
      FRONTEND_HTTP_PORT: await freePort(),
      FRONTEND_MEMBERSHIP_PORT: await freeMembershipPort(),
      HISTORY_GRPC_PORT: await freePort(),
      HISTORY_MEMBERSHIP_PORT: await freeMembershipPort(),
      MATCHING_GRPC_PORT: await freePort(),
      MATCHING_MEMBERSHIP_PORT: await freeMembershipPort(),
      WORKER_GRPC_PORT: await freePort(),
      WORKER_MEMBERSHIP_PORT: await freeMembershipPort(),
    };
    const dynamicConfig = path.join(root, 'dynamicconfig.yaml');
    fs.writeFileSync(dynamicConfig, opts.dynamicConfig ?? '');
    const serverEnv: Record<string, string> = {
      ...services.temporal!.environment,
      POSTGRES_SEEDS: '127.0.0.1',
      DB_PORT: String(pgPort),
      BIND_ON_IP: '127.0.0.1',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      DYNAMIC_CONFIG_FILE_PATH: dynamicConfig,
      ...opts.serverEnv,
    };
    const address = `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`;
    const serverBin = path.join(tools, 'temporal-server');
    const health = () =>
      spawnSync(opts.temporalCli, ['operator', 'cluster', 'health', '--address', address], {
        encoding: 'utf8',
      }).stdout?.includes('SERVING') ?? false;
    const startServer = async () => {
      const fd = fs.openSync(serverLog, 'a');
      server = spawn(serverBin, ['start'], {
        cwd: root,
        env: { ...process.env, ...serverEnv },
        stdio: ['ignore', fd, fd],
      });
      fs.closeSync(fd);
      children.push(server);
      await until(health, 'the Temporal server', 120_000, serverLog, server);
    };
    await startServer();

    // 4. The compose's temporal-setup command: the namespace and the search attributes.
    sh(
      nativeSetupCommand(services, opts.temporalCli, address),
      { ...services['temporal-setup']!.environment, TEMPORAL_ADDRESS: address },
      setupLog
    );

    return {
      address,
      serverPid: () => server!.pid!,
      postgresPid: postgres.pid!,
      postgres: { host: '127.0.0.1', port: pgPort, user, password },
      logDir,
      async killServer() {
        server!.kill('SIGKILL');
        await exited(server!);
      },
      restartServer: startServer,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
