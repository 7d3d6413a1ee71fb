#!/usr/bin/env node
// Makes sure the production Temporal server and its schema tool are available natively, at the
// version docker-compose.yml pins (its temporalio/server and temporalio/admin-tools images): the
// `temporal-server` of go.temporal.io/server/cmd/server, `temporal-sql-tool` of
// go.temporal.io/server/cmd/tools/sql, and the PostgreSQL schema the admin-tools image carries in
// /etc/temporal/schema/postgresql (copied from the Go module). Built with the machine's Go into
// .tools/temporal-server-<version>/ (DJOBS_TEMPORAL_SERVER_DIR: a directory of that layout built
// elsewhere, e.g. from Temporal's release archives). Used by the native compose test
// (test/cluster/) and `npm run bench -- --server postgres`. Plain Node with no dependencies, so it
// runs before `npm run build`. Installs PostgreSQL from Debian when it is missing. Prints the
// directory (temporal-server, temporal-sql-tool, schema/).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { executable, onPath } = require('./executables.cjs');
const { takeInstallLock } = require('./install-lock.cjs');

const root = path.resolve(__dirname, '..');

/** The server version docker-compose.yml pins: its server and admin-tools images must agree. */
function composeVersion() {
  const compose = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
  const server = /temporalio\/server:([\w.-]+)/.exec(compose)?.[1];
  const tools = /temporalio\/admin-tools:([\w.-]+)/.exec(compose)?.[1];
  if (!server || server !== tools)
    fail(
      `docker-compose.yml must pin temporalio/server and temporalio/admin-tools to one version (${server}, ${tools})`
    );
  return server;
}

/** An install problem: reported by `main` once the lock is released. */
class InstallError extends Error {}

function fail(message) {
  throw new InstallError(message);
}

function goCommand() {
  const go = process.env.DJOBS_GO || onPath('go') || (executable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : '');
  if (!go)
    fail(
      'Go was not found; the native Temporal server is built from its Go module. Install Go 1.25 or later ' +
        '(https://go.dev/doc/install), set DJOBS_GO, or set DJOBS_TEMPORAL_SERVER_DIR to a directory holding ' +
        'temporal-server, temporal-sql-tool and schema/postgresql.'
    );
  return go;
}

function run(cmd, args, env) {
  const res = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  if (res.error || res.status !== 0)
    fail(`${cmd} ${args.join(' ')} failed (${res.error?.message ?? `exit ${res.status}`})`);
}

function install(version, target) {
  const go = goCommand();
  const bin = path.join(target, '.gobin');
  console.error(
    `temporal server ${version} not found; building it with ${go} into ${target} (minutes from a clean cache)`
  );
  const t0 = Date.now();
  run(
    go,
    ['install', `go.temporal.io/server/cmd/server@v${version}`, `go.temporal.io/server/cmd/tools/sql@v${version}`],
    {
      GOBIN: bin,
    }
  );
  fs.renameSync(path.join(bin, 'server'), path.join(target, 'temporal-server'));
  fs.renameSync(path.join(bin, 'sql'), path.join(target, 'temporal-sql-tool'));
  fs.rmSync(bin, { recursive: true, force: true });
  const modCache = spawnSync(go, ['env', 'GOMODCACHE'], { encoding: 'utf8' }).stdout.trim();
  const schema = path.join(modCache, 'go.temporal.io', `server@v${version}`, 'schema', 'postgresql');
  if (!fs.existsSync(schema)) fail(`the schema of go.temporal.io/server@v${version} is not at ${schema}`);
  fs.cpSync(schema, path.join(target, 'schema', 'postgresql'), { recursive: true });
  // Module cache files are read-only; the copy must stay removable.
  spawnSync('chmod', ['-R', 'u+w', path.join(target, 'schema')]);
  console.error(`built temporal-server and temporal-sql-tool ${version} in ${Math.round((Date.now() - t0) / 1000)} s`);
}

/**
 * PostgreSQL for the native cluster (docker-compose.yml's postgresql service): Debian's package when
 * `initdb` is on neither PATH nor /usr/lib/postgresql/<version>/bin, and the `postgres` system user
 * it runs as (PostgreSQL refuses to run as root).
 */
function ensurePostgres() {
  const found = () =>
    onPath('initdb') ||
    (fs.existsSync('/usr/lib/postgresql') &&
      fs.readdirSync('/usr/lib/postgresql').some((v) => executable(`/usr/lib/postgresql/${v}/bin/initdb`)));
  if (!found()) {
    console.error("PostgreSQL not found; installing Debian's postgresql package");
    run('apt-get', ['update'], {});
    run('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { DEBIAN_FRONTEND: 'noninteractive' });
    if (!found()) fail('postgresql installed, but no initdb found');
  }
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) run('useradd', ['--system', '--user-group', 'postgres'], {});
}

const complete = (dir) =>
  executable(path.join(dir, 'temporal-server')) &&
  executable(path.join(dir, 'temporal-sql-tool')) &&
  fs.existsSync(path.join(dir, 'schema', 'postgresql', 'v12', 'temporal', 'versioned'));

function main() {
  ensurePostgres();
  const given = process.env.DJOBS_TEMPORAL_SERVER_DIR;
  if (given) {
    if (!complete(given))
      fail(`DJOBS_TEMPORAL_SERVER_DIR=${given} must hold temporal-server, temporal-sql-tool and schema/postgresql/v12`);
    return given;
  }
  const version = composeVersion();
  const target = path.join(root, '.tools', `temporal-server-${version}`);
  if (!complete(target)) {
    fs.mkdirSync(target, { recursive: true });
    const release = takeInstallLock(target, () => complete(target), 60 * 60_000);
    try {
      if (!complete(target)) install(version, target);
    } finally {
      release();
    }
  }
  return target;
}

if (require.main === module) {
  try {
    process.stdout.write(`${main()}\n`);
  } catch (err) {
    console.error(`error: ${err instanceof InstallError ? err.message : err.stack}`);
    process.exit(3);
  }
}

module.exports = { composeVersion };
