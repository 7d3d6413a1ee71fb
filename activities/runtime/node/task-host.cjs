// A Node.js task's main process started ahead of its attempt, so that the attempt does not wait
// for Node.js to start and load its runtime (DuckDB for SQL tasks): the worker's fork server keeps
// one of each kind ready, as it keeps a Python supervisor ready (activities/python-fork-server.ts).
//
//   node task-host.cjs sql     loads the SQL runner (sql-runner.cjs, DuckDB), makes its DuckDB
//                              instance and waits
//   node task-host.cjs node    waits, then runs a Node.js file with dbutils preloaded
//
// It is started in its attempt's namespaces (runtime/sandbox.py), as root, with no_new_privs and
// an environment of its own; it says on file descriptor 3 when it has loaded its runtime (the
// sandbox's view replaces the files it loads from), then reads its attempt from stdin (JSON, to
// the end): its uid and gid
// (a sandboxed attempt's), working directory, environment and arguments. It takes them as a fresh
// process would have had them (dropping to the uid first), then runs the task. Nothing on stdin:
// the attempt never came; it exits.
'use strict';
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const kind = process.argv[2];
const runners = {
  sql: () => {
    const { main, prepare } = require('../sql-runner.cjs');
    return { ready: prepare(), run: (argv) => main(argv) };
  },
  // `node --require dbutils.cjs FILE ARGS...`: dbutils first (it takes DJOBS_SECRETS out of the
  // environment), then FILE as the main module.
  node: () => ({
    run: (argv) => {
      require('./dbutils.cjs');
      process.argv = [process.execPath, path.resolve(argv[0]), ...argv.slice(1)];
      Module.runMain();
    },
  }),
};
if (!(kind in runners)) {
  console.error(`task-host.cjs: unknown kind ${kind} (sql or node)`);
  process.exit(2);
}
const { ready, run } = runners[kind]();
Promise.resolve(ready).then(() => {
  // Loaded: the sandbox's init may now replace the file system it was loaded from by the task's view.
  fs.writeSync(3, '1');
  fs.closeSync(3);
  takeAttempt();
});

function takeAttempt() {
  const text = fs.readFileSync(0, 'utf8');
  if (!text.trim()) process.exit(0);
  const attempt = JSON.parse(text);
  process.umask(0o022); // the task's, whatever the worker's (077: DJOBS_HOME is private)
  if (attempt.uid !== undefined) {
    process.setgroups(attempt.groups ?? []);
    process.setgid(attempt.gid);
    process.setuid(attempt.uid);
  }
  try {
    process.chdir(attempt.cwd);
  } catch (err) {
    console.error(`${attempt.cwd}: ${err.message}`);
    process.exit(127);
  }
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, attempt.env);
  run(attempt.argv);
}
